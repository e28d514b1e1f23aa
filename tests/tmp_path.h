/* What several test programs share: a fresh temp file in $PF_TEST_TMP (tests/run.sh's folder)
 * or /tmp. Include after cmocka.h. */
#ifndef PF_TESTS_TMP_PATH_H
#define PF_TESTS_TMP_PATH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A fresh temp file name "pf-TAG-XXXXXX" in $PF_TEST_TMP or /tmp (the file is created empty). */
static void temp_path(char *path, size_t cap, const char *tag)
{
    const char *dir = getenv("PF_TEST_TMP");
    snprintf(path, cap, "%s/pf-%s-XXXXXX", dir && *dir ? dir : "/tmp", tag);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
}

#endif
