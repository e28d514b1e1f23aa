/* pitchforge: counter-based random numbers (Philox4x32-10), keyed by (seed, stream, id). */
#ifndef PITCHFORGE_RNG_H
#define PITCHFORGE_RNG_H

#include <stddef.h>
#include <stdint.h>

/**
 * A counter-based generator: output block i is Philox4x32-10(counter = {i, stream, id}, key =
 * seed). Two generators with different (stream, id) never share a stream, and a value depends
 * only on (seed, stream, id, position): no shared state between examples or threads.
 */
typedef struct pf_rng {
    uint32_t key[2];
    uint32_t ctr[4];
    uint32_t out[4];
    int used; /**< words of `out` consumed (4 = refill) */
    int has_spare;  /**< pf_rng_normal holds the second deviate of its last pair */
    double spare;
} pf_rng;

/** Streams: one per purpose, so adding draws to one never shifts another. */
enum {
    PF_STREAM_DETUNE = 1,  /**< per note: the detune */
    PF_STREAM_AUGMENT = 2, /**< per example: noise, volume */
    PF_STREAM_SHUFFLE = 3, /**< per split: shard order */
    PF_STREAM_SPLIT = 4,   /**< split hashing */
    PF_STREAM_STRIP = 5,   /**< per note: strip-fundamental draw */
    PF_STREAM_EXPRESSION = 6, /**< per note: vibrato, scoop, fall, legato */
    PF_STREAM_NEGATIVE = 7,   /**< per negative: its key and velocity (the plan) */
    PF_STREAM_SEGMENT = 8,    /**< per example: where an onset, release or gap window sits */
    PF_STREAM_NEGATIVE_AUDIO = 9 /**< per negative: its level and noise */
};

/** Start the generator for (@p seed, @p stream, @p id) at position 0. */
void pf_rng_init(pf_rng *r, uint64_t seed, uint32_t stream, uint64_t id);
/** Next 32 random bits. */
uint32_t pf_rng_u32(pf_rng *r);
/** Next 64 random bits. */
uint64_t pf_rng_u64(pf_rng *r);
/** Uniform double in [0, 1) with 53 random bits. */
double pf_rng_uniform(pf_rng *r);
/** Uniform double in [lo, hi). */
double pf_rng_range(pf_rng *r, double lo, double hi);
/** Standard normal deviate (Box-Muller; each pair of uniforms gives two deviates). */
double pf_rng_normal(pf_rng *r);
/** Uniform integer in [0, n) without modulo bias; n must be > 0. */
uint64_t pf_rng_below(pf_rng *r, uint64_t n);

/** One Philox4x32-10 block: @p out = Philox(@p ctr, @p key) (exposed for the known-answer test). */
void pf_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/** Blocks per pf_philox4x32_10_lanes call. */
#define PF_PHILOX_LANES 8
/**
 * PF_PHILOX_LANES Philox4x32-10 blocks at once: lane i is pf_philox4x32_10 of the counter
 * {@p first + i, ctr[0], ctr[1], ctr[2]} with @p key, its word w in @p out[w][i] (dropout masks).
 */
void pf_philox4x32_10_lanes(uint32_t first, const uint32_t ctr[3], const uint32_t key[2],
                            uint32_t out[4][PF_PHILOX_LANES]);

/** 64-bit FNV-1a of @p len bytes, then a splitmix64 finalizer, salted with @p seed. */
uint64_t pf_hash64(uint64_t seed, const void *data, size_t len);

#endif
