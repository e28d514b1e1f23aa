/* generate's plan: the soundfonts' preset lists, the label audit when asked, then the plan. */
#include <stdio.h>
#include <stdlib.h>

#include "core/mem.h"
#include "generate/generate_int.h"
#include "pitchforge/error.h"
#include "pitchforge/generate.h"
#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"
#include "pitchforge/synth.h"

int pf_preset_lists_load(const pf_manifest *m, pf_preset_list **lists, pf_error *err)
{
    *lists = pf_calloc(m->n_soundfonts, sizeof **lists);
    for (size_t i = 0; i < m->n_soundfonts; i++)
        if (pf_soundfont_presets(m->soundfonts[i].path, &(*lists)[i].presets, &(*lists)[i].n,
                                 err)) {
            pf_error_prefix(err, "%s:%d:%d", m->file, m->soundfonts[i].line, m->soundfonts[i].col);
            err->code = PF_ECONFIG;
            return -1;
        }
    return 0;
}

void pf_preset_lists_free(pf_preset_list *lists, size_t n)
{
    for (size_t i = 0; lists && i < n; i++)
        free(lists[i].presets);
    free(lists);
}

/* Move the audit's findings into @p rep: the count of presets and each key with its label. */
static void report_audit(const pf_audit *a, const pf_instrument *ins, pf_generate_report *rep)
{
    for (size_t i = 0; i < a->n; i++)
        rep->excluded_presets += a->preset_off[i];
    if (!a->n_keys) return;
    rep->n_excluded_keys = a->n_keys;
    rep->excluded_keys = pf_calloc(a->n_keys, sizeof *rep->excluded_keys);
    rep->excluded_key_names = pf_calloc(a->n_keys, sizeof *rep->excluded_key_names);
    for (size_t k = 0; k < a->n_keys; k++) {
        rep->excluded_keys[k] = a->keys[k];
        snprintf(rep->excluded_key_names[k], sizeof rep->excluded_key_names[k], "%s",
                 ins[a->keys[k].instrument].label);
    }
}

int pf_generate_plan(const pf_manifest *m, int jobs, pf_plan *plan, pf_generate_report *rep,
                     pf_error *err)
{
    pf_preset_list *lists;
    int rc = pf_preset_lists_load(m, &lists, err);
    pf_audit audit = {0};
    if (!rc && (m->quality.pitch_check == PF_PCHECK_DROP_PRESET || m->quality.key_max_cents > 0)) {
        pf_instrument *ins;
        size_t n;
        rc = pf_plan_instruments(m, lists, &ins, &n, err);
        if (!rc) {
            rc = pf_label_audit(m, ins, n, jobs, &audit, err);
            if (!rc && rep) report_audit(&audit, ins, rep);
            free(ins);
        }
    }
    if (!rc) rc = pf_plan_build(m, lists, audit.n ? &audit : NULL, plan, err);
    pf_audit_release(&audit);
    pf_preset_lists_free(lists, m->n_soundfonts);
    return rc;
}
