# pitchforge: one plain Makefile (see ../shared/STYLE.md rule 9).
# make deps | make | make run | make test | make test-cluster | make asan | make fuzz | make bench | make format

# Debian packages the project needs (make deps installs the missing ones; python3-torch for the
# tests of examples/pitch_model.py, the PyTorch loader; hdf5-tools for h5ls and h5dump in
# tests/e2e_describe.sh; Open MPI for training on several processes, docs/training.md).
DEB_PKGS := build-essential pkg-config libfluidsynth-dev libsndfile1-dev libsamplerate0-dev libsoxr-dev \
            libhdf5-dev libfftw3-dev libyaml-dev libcmocka-dev libpng-dev nettle-dev \
            fluid-soundfont-gm timgm6mb-soundfont python3-scipy python3-h5py python3-numpy \
            fluidsynth sox libdnnl-dev musescore-general-soundfont libcairo2-dev python3-mir-eval \
            python3-torch hdf5-tools libopenmpi-dev openmpi-bin
# Debian packages of `make test-cluster` only (a Slurm controller, a node daemon, the clients, munge;
# Open MPI's mpirun for the reference training run): not in DEB_PKGS, so that `make deps` does not
# install daemons on a user's machine.
CLUSTER_PKGS := slurmctld slurmd slurm-client munge openmpi-bin
# `make fuzz` only: clang, and libclang-rt-dev for libFuzzer and the sanitizer runtimes.
FUZZ_PKGS := clang libclang-rt-dev
# Debian packages only the outside benchmarks need (make bench-basic-pitch installs them): Node and
# npm to run Spotify's basic-pitch from npm. Never a dependency of pitchforge itself. A nodejs that
# already brings npm (NodeSource's) is used as it is.
BENCH_PKGS := nodejs npm
PKGS     := fluidsynth samplerate soxr hdf5 fftw3f yaml-0.1 libpng nettle sndfile cairo

CC       ?= cc
OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes -Wvla \
            -Wpointer-arith -Wformat=2 -Wundef
ifeq ($(CI),true)
WARN     += -Werror
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   += -std=gnu11 $(OPT) $(WARN) -pthread
CPPFLAGS += -Iinclude -Isrc $(PKG_CFLAGS)
# libhdf5_hl: the dimension scales (H5DS), used only in src/io/h5.c
LDLIBS   += -lhdf5_hl $(PKG_LIBS) -ldnnl -lm -lpthread
BUILD    ?= build
PY       := /usr/bin/python3

# Open MPI for data-parallel training, used by src/core/dist.c alone: MPI=1 when pkg-config finds
# it (make MPI=0 builds the one-process stub); dist.o is rebuilt when the choice changes.
MPI      ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
ifeq ($(MPI),1)
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c)
LDLIBS   += $(shell pkg-config --libs ompi-c)
endif
.DEFAULT_GOAL := all
MPI_STAMP := $(BUILD)/mpi.flags
$(shell mkdir -p $(BUILD); echo '$(MPI) $(MPI_CFLAGS)' | cmp -s - $(MPI_STAMP) || \
        echo '$(MPI) $(MPI_CFLAGS)' > $(MPI_STAMP))
$(BUILD)/src/core/dist.o: CPPFLAGS += -DPF_HAVE_MPI=$(MPI) $(MPI_CFLAGS)
$(BUILD)/src/core/dist.o: $(MPI_STAMP)

LIB_SRC  := $(sort $(shell find src -name '*.c' ! -path 'src/cli/*'))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC:= $(sort $(wildcard bench/*.c))
BENCH_BIN:= $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
LIB      := $(BUILD)/libpitchforge.a
# make V=1 prints the real commands instead of the short "CC file" lines
Q        := $(if $(filter 1,$(V)),,@)
SAY      = $(if $(filter 1,$(V)),@true,@echo)

.PHONY: all deps fuzz-deps run test test-cluster test-c test-py test-e2e asan fuzz fuzz-build bench \
        bench-predict bench-flags bench-train bench-deps bench-basic-pitch format clean soundfonts
all: pitchforge soundfonts

pitchforge $(BUILD)/pitchforge: $(CLI_OBJ) $(LIB)
	$(SAY) "  LD    $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDFLAGS) $(LDLIBS)

$(LIB): $(LIB_OBJ)
	$(Q)rm -f $@
	$(SAY) "  AR    $@"
	$(Q)$(AR) rcs $@ $^

$(BUILD)/%.o: %.c
	$(Q)mkdir -p $(dir $@)
	$(SAY) "  CC    $<"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The optimizer's elementwise loop over every parameter: vectorized (same bits as scalar).
$(BUILD)/src/train/optim.o: CFLAGS += -ftree-vectorize -fno-math-errno

# convpool's kernels are cloned for AVX-512, FMA and baseline x86-64 (target_clones); gcc's GNU C
# default (-ffp-contract=fast) fuses a * b + c into an FMA in the first two only, so the clones
# (and trained weights) would differ in the last bits between CPUs. Off: the same bits on any CPU.
CONVPOOL_CFLAGS := -ffp-contract=off
$(BUILD)/src/nn/convpool.o: CFLAGS += $(CONVPOOL_CFLAGS)

# test_convpool: copies of convpool.c for one target each (same flags), public functions renamed.
CONVPOOL_TARGETS := avx512f fma base
cp_target_avx512f := target("avx512f")
cp_target_fma := target("fma")
cp_target_base := unused
CONVPOOL_COPIES := $(CONVPOOL_TARGETS:%=$(BUILD)/tests/convpool_%.o)
$(BUILD)/tests/convpool_%.o: src/nn/convpool.c
	@mkdir -p $(dir $@)
	@echo "  CC    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(CONVPOOL_CFLAGS) '-DPF_CONVPOOL_TARGET=$(cp_target_$*)' \
	  -Dpf_nn_convpool_forward=pf_nn_convpool_forward_$* \
	  -Dpf_nn_convpool_backward=pf_nn_convpool_backward_$* -c -o $@ $<

$(BUILD)/tests/test_convpool: tests/test_convpool.c $(CONVPOOL_COPIES) $(LIB)
	@mkdir -p $(dir $@)
	@echo "  TEST  $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags cmocka 2>/dev/null) -o $@ $< \
	  $(CONVPOOL_COPIES) $(LIB) $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

$(BUILD)/tests/%: tests/%.c $(LIB)
	$(Q)mkdir -p $(dir $@)
	$(SAY) "  TEST  $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags cmocka 2>/dev/null) -MMD -MP -o $@ $< \
	  $(LIB) $(LDFLAGS) $(LDLIBS) $(shell pkg-config --libs cmocka 2>/dev/null)

$(BUILD)/bench/%: bench/%.c $(LIB)
	$(Q)mkdir -p $(dir $@)
	$(SAY) "  BENCH $@"
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_BIN:=.d)

# Install the missing Debian packages of the list $(1) (apt-get update runs once, only when something
# is missing); $(2) names the target in the messages.
apt_install = missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make $(2): installing $$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else echo "make $(2): all Debian packages present"; fi

deps:
	@$(call apt_install,$(DEB_PKGS),deps)
	@$(MAKE) --no-print-directory soundfonts

fuzz-deps:
	@$(call apt_install,$(FUZZ_PKGS),fuzz)

# Link the GM soundfonts Debian installs into soundfonts/ (nothing large is committed); `make`
# does it too, so a checkout built without `make deps` finds them.
soundfonts:
	@for f in /usr/share/sounds/sf2/FluidR3_GM.sf2 /usr/share/sounds/sf2/TimGM6mb.sf2 \
	          /usr/share/sounds/sf3/MuseScore_General.sf3; do \
	  [ -f $$f ] && ln -sf $$f soundfonts/ || true; done

# --resume: a second `make run` (or one after Ctrl-C) keeps the shards already whole instead of
# being refused for the dataset the first one made (use --force to make them all again).
run: deps
	@$(MAKE) --no-print-directory pitchforge
	./pitchforge generate manifests/default.yaml --resume

test: deps
	@$(MAKE) --no-print-directory pitchforge $(TEST_BIN)
	@PY=$(PY) bash tests/run.sh $(TEST_BIN)

# A one-node Slurm cluster on localhost (as root; tests/cluster/run.sh starts and stops munged,
# slurmctld and slurmd) runs the README's cluster commands: sbatch --array generate + index, srun
# training.
test-cluster: deps
	@$(call apt_install,$(CLUSTER_PKGS),test-cluster)
	@$(MAKE) --no-print-directory pitchforge
	@PY=$(PY) bash tests/cluster/run.sh

# Every test under AddressSanitizer and UBSan: the unit tests, and the end-to-end scripts run on
# a sanitized build of the CLI (build/sanitize/pitchforge); tests/asan.sh fails on any report.
# (build/sanitize, not build/asan: objects built before UBSan trapped call its runtime, which
# this link no longer brings in)
asan:
	@$(MAKE) --no-print-directory BUILD=build/sanitize OPT="-O1 -g -fsanitize=address,undefined -fsanitize-undefined-trap-on-error -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" build/sanitize/pitchforge $(patsubst $(BUILD)/%,build/sanitize/%,$(TEST_BIN))
	@PY=$(PY) bash tests/asan.sh build/sanitize/pitchforge $(patsubst $(BUILD)/%,build/sanitize/%,$(TEST_BIN))

# Fuzzing with libFuzzer (docs/fuzzing.md): the library built by clang with coverage,
# AddressSanitizer and UBSan in build/fuzz, the targets tests/fuzz/fuzz_*.c linked against it,
# and each run for FUZZ_SECONDS from tests/fuzz/corpus/TARGET (plus the HDF5 seeds make_seeds
# writes); new inputs are kept in build/fuzz/corpus/TARGET, crashes in build/fuzz/crashes/.
# FUZZ_FLAGS adds libFuzzer options (e.g. FUZZ_FLAGS=-max_len=4096); FUZZ_TARGETS picks targets.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?=
FUZZ_TARGETS ?= fuzz_yaml fuzz_h5
FUZZ_CC      ?= clang
FUZZ_BUILD   := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_FLAGS="$(FUZZ_FLAGS)" \
	  bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

fuzz-build:
	@$(MAKE) --no-print-directory -s BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
	  OPT="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" $(FUZZ_BUILD)/libpitchforge.a
	@$(MAKE) --no-print-directory -s $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%) $(FUZZ_BUILD)/make_seeds

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_BUILD)/libpitchforge.a
	$(SAY) "  FUZZ  $@"
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -O1 -g $(WARN) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< \
	  $(FUZZ_BUILD)/libpitchforge.a $(LDFLAGS) $(LDLIBS)

$(FUZZ_BUILD)/make_seeds: tests/fuzz/make_seeds.c $(FUZZ_BUILD)/libpitchforge.a
	$(SAY) "  CC    $@"
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 -O1 -g $(WARN) $(FUZZ_SAN) -o $@ $< \
	  $(FUZZ_BUILD)/libpitchforge.a $(LDFLAGS) $(LDLIBS)

bench: pitchforge $(BENCH_BIN)
	@bash bench/run.sh
	@bash bench/predict.sh

# predict's real-time factor on one core with the tracking model, cold start and peak memory
bench-predict: pitchforge
	@bash bench/predict.sh

# predict's low-confidence flags on notes, melodies, chords, noise and out-of-range tones made from a
# split (bench/flags.sh): make bench-flags [MODEL=models/track.h5] [SET=val|heldout|room] [N=300] [OUT=dir]
bench-flags: pitchforge
	@SET="$(or $(SET),val)" N="$(N)" OUT="$(OUT)" PY=$(PY) bash bench/flags.sh $(or $(MODEL),models/track.h5)

bench-train: pitchforge $(BUILD)/bench/bench_nn
	@bash bench/train.sh

# Node and npm for bench/basic-pitch (BENCH_PKGS), installed only when node or npm is missing.
bench-deps:
	@if command -v node >/dev/null && command -v npm >/dev/null; then \
	  echo "make bench-deps: node $$(node --version) and npm $$(npm --version) present"; \
	else apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $(BENCH_PKGS); fi

# Spotify's basic-pitch scored on a split with mir_eval, beside eval's YIN (bench/basic-pitch/README.md):
# make bench-basic-pitch DATASET=out/x/dataset.h5 [SPLIT=test] [EVERY=32] [GAP_S=0.5] [MODEL=...] [OUT=dir]
bench-basic-pitch: bench-deps pitchforge
	@DATASET="$(DATASET)" SPLIT="$(SPLIT)" EVERY="$(EVERY)" GAP_S="$(GAP_S)" MODEL="$(MODEL)" \
	  OUT="$(OUT)" PY=$(PY) bash bench/basic-pitch/run.sh

format:
	clang-format -i $$(find src include tests bench -name '*.[ch]')

clean:
	rm -rf $(BUILD) pitchforge
