/* Between the parts of eval: the frame pass (frames.c) and the run (eval.c). */
#ifndef PF_EVAL_INT_H
#define PF_EVAL_INT_H

#include "pitchforge/eval.h"

/**
 * YIN's frame metrics on split @p split of @p dataset: YIN on a PF_EVAL_FRAME_WINDOW_S window
 * around every column of the stored audio (voiced when it finds a period), scored against
 * f0_frames, FRAME_BATCH examples at a time over @p threads threads.
 * @param labels    [n] the split's labels, in order
 * @param progress  called after every batch (may be NULL)
 * @return 0, or -1 with @p err filled
 */
int pf_eval_frames_yin(const char *dataset, const char *split, const pf_label *labels, size_t n,
                       int threads, pf_eval_progress_fn progress, void *ctx, pf_eval_frames *f,
                       pf_error *err);

#endif
