/* The dataset card's Hugging Face parts (card_hub.c), written by card.c. */
#ifndef PF_STORE_CARD_INT_H
#define PF_STORE_CARD_INT_H

#include <stddef.h>
#include <stdio.h>

/** What the hub sections need to know of the dataset. */
typedef struct pf_card_facts {
    const char *name;          /**< the manifest's name */
    const char *manifest;      /**< the manifest text a shard stores */
    const char *first_shard;   /**< path of a shard: its datasets, types and descriptions */
    const char *version;       /**< generator_version */
    const char *manifest_sha256;
    size_t examples, negatives; /**< all splits; of them, examples with no pitch */
    int steady_pitch;           /**< render.steady_pitch */
    int has_spectrogram, has_audio;
} pf_card_facts;

/** YAML front matter (between --- lines): the soundfonts' licenses, pretty_name, task
 *  categories, tags and the size category, as the Hugging Face Hub reads a dataset card. */
void pf_card_front_matter(FILE *f, const pf_card_facts *k);
/** "## Soundfonts and licenses": each soundfont of the manifest, its file, its license and
 *  copyright as Debian's copyright file for the package gives them. */
void pf_card_licenses(FILE *f, const pf_card_facts *k);
/** "## Fields": every dataset of a shard with its type, shape, units and description (read
 *  from the shard's own attributes). */
void pf_card_fields(FILE *f, const pf_card_facts *k);
/** "## How to load", "## Known limitations" and "## How to cite". */
void pf_card_usage(FILE *f, const pf_card_facts *k);

#endif
