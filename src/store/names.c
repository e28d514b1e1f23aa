/* Names of the label enums and reject reasons, as stored in shards (DESIGN §4). */
#include "pitchforge/example.h"
#include "pitchforge/shard.h"

const char *const pf_segment_names[PF_SEG_COUNT] = {"attack", "sustain", "decay",
                                                    "onset",  "release", "gap"};

const char *const pf_pitch_check_names[PF_PITCH_CHECK_COUNT] = {"ok", "off", "octave", "unvoiced",
                                                                "skipped"};

const char *const pf_source_names[PF_SOURCE_COUNT] = {
    "note", "silence", "near_silence", "white", "pink", "brown", "percussion"};

const char *const pf_reject_names[PF_REJECT_COUNT] = {"silent", "clipped", "nonfinite", "pitch"};
