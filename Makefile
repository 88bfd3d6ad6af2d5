# corekit top-level Makefile.
#
# Conventions (so adding code never means editing this file):
#   coredump/ vmss2core/ symbols/ analyzers/  every *.c (subdirectories too) except *_main.c
#                                             goes into libcorekit.a; every such dir is on -I
#   DIR/NAME_main.c                           becomes the program $(B)/bin/NAME
#   tests/unit/test_*.c                       one unit-test program each, linked with libcorekit.a
#   tests/integration/*.sh                    integration tests (run by tests/run.sh)
#   fuzz/fuzz_*.c                             libFuzzer harnesses (make fuzz, clang)
#
# make            release build in build/
# make check      ASan+UBSan build in build/asan/, then every test; last line "N passed, N failed"
# make demo       convert the bundled real-guest checkpoint and show how to open it
# make bench      benchmarks in bench/ (compare with anchor tools, print ratios)
# make fuzz       build the fuzz harnesses in build/fuzz/
# make install    install programs into $(DESTDIR)$(PREFIX)/bin, man pages into .../share/man/man1

CC      ?= cc
PREFIX  ?= /usr/local
B       ?= build
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

PKGS    := libelf libdw zlib libdeflate libarchive capstone libbpf libkdumpfile
# loaded with dlopen when a run needs them (coredump/dynlib.h): headers only
DLOPEN_PKGS := libarchive capstone
CSTD    := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(CSTD) $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -I. $(addprefix -I,$(SRCDIRS)) \
	-DCOREKIT_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -MMD -MP
LDLIBS  = $(shell pkg-config --libs $(filter-out $(DLOPEN_PKGS),$(PKGS)) 2>/dev/null || echo -lelf -ldw -lz -ldeflate -lbpf -lkdumpfile) -liberty -lpthread -ldl

LIBDIRS  := coredump vmss2core symbols analyzers
SRCDIRS  := $(sort $(shell find $(LIBDIRS) -type d))
LIB_SRC  := $(filter-out %_main.c,$(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c)))
MAIN_SRC := $(foreach d,$(SRCDIRS),$(wildcard $(d)/*_main.c))
PROGS    := $(patsubst %_main.c,$(B)/bin/%,$(notdir $(MAIN_SRC)))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS    := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
LIB      := $(B)/libcorekit.a

.PHONY: all check demo bench fuzz install clean deps tests
all: $(PROGS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define prog_rule
$(B)/bin/$(patsubst %_main.c,%,$(notdir $(1))): $(B)/obj/$(1:.c=.o) $(LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $$(EXTRA_LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach m,$(MAIN_SRC),$(eval $(call prog_rule,$(m))))

$(B)/tests/%: $(B)/obj/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EXTRA_LDFLAGS) -o $@ $^ $(LDLIBS)

tests: $(PROGS) $(UNITS)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# Sanitizer build: a separate tree so release objects are never mixed in.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
check: deps
	$(MAKE) B=build/asan CFLAGS="-O1 -g $(SAN)" EXTRA_LDFLAGS="$(SAN)" tests
	COREKIT_BIN=$(CURDIR)/build/asan/bin COREKIT_TESTS=$(CURDIR)/build/asan/tests tests/run.sh

deps:
	@scripts/install-deps.sh --if-missing

demo: deps all
	scripts/demo.sh $(B)/bin

bench: deps all
	bench/run.sh $(B)/bin

fuzz:
	$(MAKE) -C . -f fuzz/fuzz.mk B=build/fuzz

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf build
