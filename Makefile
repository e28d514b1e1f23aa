# pitchforge: one plain Makefile (see ../shared/STYLE.md rule 9).
# make deps | make | make run | make test | make asan | make bench | make format

# Debian packages the project needs (make deps installs the missing ones; python3-torch for the
# tests of examples/pitch_model.py, the PyTorch loader).
DEB_PKGS := build-essential pkg-config libfluidsynth-dev libsndfile1-dev libsamplerate0-dev libsoxr-dev \
            libhdf5-dev libfftw3-dev libyaml-dev libcmocka-dev libpng-dev nettle-dev \
            fluid-soundfont-gm timgm6mb-soundfont python3-scipy python3-h5py python3-numpy \
            fluidsynth sox libdnnl-dev musescore-general-soundfont libcairo2-dev python3-mir-eval \
            python3-torch
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
LDLIBS   += $(PKG_LIBS) -ldnnl -lm -lpthread
BUILD    ?= build
PY       := /usr/bin/python3

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

.PHONY: all deps run test test-c test-py test-e2e asan bench bench-train format clean soundfonts
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

# Install the missing Debian packages (apt-get update runs once, only when something is missing).
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	  | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else echo "make deps: all Debian packages present"; fi
	@$(MAKE) --no-print-directory soundfonts

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

# Every test under AddressSanitizer and UBSan: the unit tests, and the end-to-end scripts run on
# a sanitized build of the CLI (build/sanitize/pitchforge); tests/asan.sh fails on any report.
# (build/sanitize, not build/asan: objects built before UBSan trapped call its runtime, which
# this link no longer brings in)
asan:
	@$(MAKE) --no-print-directory BUILD=build/sanitize OPT="-O1 -g -fsanitize=address,undefined -fsanitize-undefined-trap-on-error -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" build/sanitize/pitchforge $(patsubst $(BUILD)/%,build/sanitize/%,$(TEST_BIN))
	@PY=$(PY) bash tests/asan.sh build/sanitize/pitchforge $(patsubst $(BUILD)/%,build/sanitize/%,$(TEST_BIN))

bench: pitchforge $(BENCH_BIN)
	@bash bench/run.sh

bench-train: pitchforge $(BUILD)/bench/bench_nn
	@bash bench/train.sh

format:
	clang-format -i $$(find src include tests bench -name '*.[ch]')

clean:
	rm -rf $(BUILD) pitchforge
