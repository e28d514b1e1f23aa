/* Tests for src/core/util.c's formatters: the ETA of a progress line. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/util.h"

static void durations(void **state)
{
    (void)state;
    const struct {
        double s;
        const char *want;
    } rows[] = {{0, "0s"},         {59.4, "59s"},     {59.6, "1m00s"}, {185, "3m05s"},
                {3599.4, "59m59s"}, {3599.6, "1h00m"}, {7620, "2h07m"}, {-1, "?"},
                {NAN, "?"},         {1e12, "?"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char buf[32];
        pf_format_duration(rows[i].s, buf, sizeof buf);
        assert_string_equal(buf, rows[i].want);
    }
    char small[4];
    pf_format_duration(7620, small, sizeof small); /* cut, never overrun */
    assert_string_equal(small, "2h0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(durations)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
