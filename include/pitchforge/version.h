/* pitchforge: version of the program and of the files it writes. */
#ifndef PITCHFORGE_VERSION_H
#define PITCHFORGE_VERSION_H

#define PF_VERSION "0.1.0"

#endif
