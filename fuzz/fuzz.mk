# fuzz/fuzz.mk - libFuzzer harnesses: every fuzz/fuzz_*.c becomes $(B)/fuzz_*,
# linked with the reader libraries built with clang and the fuzzer sanitizers.
# Used by `make fuzz` (B=build/fuzz).  Run e.g.:
#   build/fuzz/fuzz_cpt -max_total_time=120 build/fuzz/corpus_cpt fuzz/corpus/cpt
B        ?= build/fuzz
FUZZ_CC  ?= clang
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
# Only the directories the harnesses need, so an unrelated broken file elsewhere
# does not stop fuzzing.
FUZZ_LIBDIRS ?= coredump vmss2core symbols
PKGS     := libelf libdw zlib libdeflate libarchive capstone libbpf libkdumpfile
DLOPEN_PKGS := libarchive capstone
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -O1 -g -Wall -Wextra -Werror \
	-Wno-unused-command-line-argument $(SAN) -fno-omit-frame-pointer \
	-I. $(addprefix -I,$(shell find coredump vmss2core symbols analyzers -type d)) -DCOREKIT_VERSION='"$(VERSION)"' \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_LDLIBS := $(shell pkg-config --libs $(filter-out $(DLOPEN_PKGS),$(PKGS)) 2>/dev/null || echo -lelf -ldw -lz -ldeflate -lbpf -lkdumpfile) -liberty -lpthread -ldl

FUZZ_LIB_SRC := $(filter-out %_main.c,$(foreach d,$(FUZZ_LIBDIRS),$(wildcard $(d)/*.c)))
FUZZ_LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(FUZZ_LIB_SRC))
HARNESSES    := $(patsubst fuzz/%.c,$(B)/%,$(wildcard fuzz/fuzz_*.c))

.PHONY: all
all: $(HARNESSES)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)
