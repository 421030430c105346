# tcpflow - one non-recursive GNU Makefile.
#
#   make            build build/tcpflow
#   make demo       install the missing Debian packages that building needs, build, run on
#                   tests/data/demo.pcap
#   make check      install the missing packages of building and of the tests, build, unit +
#                   end-to-end tests, the same under ASan+UBSan, and a short fuzzing smoke run
#   make unit | e2e | asan | fuzz FUZZ_SECONDS=600 | bench
#   make install | uninstall   PREFIX=/usr/local DESTDIR=
# A library that pkg-config cannot find stops the build with one line naming its Debian
# package (scripts/deps.sh --pc-check).  The version (-V, report.xml) comes from
# scripts/version.sh (git describe, or a VERSION file) through $(BUILD)/gen/version_gen.h.
#
# Sources are picked up by wildcard: src/**.c (src/main.c is the program),
# tests/unit/test_*.c (one cmocka binary each), tests/fuzz/fuzz_*.c.

CC      ?= gcc
PREFIX  ?= /usr/local
BUILD   ?= build
PKGS    := libpcap zlib liblzma libzstd libbrotlidec libxml-2.0 libcrypto json-c
# cairo: headers only; netviz loads the library when it draws (dlopen), so
# runs without -e netviz do not map it and its dependencies (2 MiB of RSS).
# python3-embed: headers only too; the python scanner loads libpython when it
# starts (linking it costs every run 3 MB of RSS in relocations).
PKGS_HDR := cairo python3-embed
WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wvla -Wno-unused-parameter
OPT     ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Isrc -I$(BUILD)/gen
CFLAGS  += -std=c11 $(OPT) $(WARN) -fno-strict-aliasing $(shell pkg-config --cflags $(PKGS) $(PKGS_HDR) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lbz2 -lm -lpthread

# libraries only the tests link (encoders, to make coded bodies)
TEST_LIBS := $(shell pkg-config --libs libbrotlienc 2>/dev/null)

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c src/*/*.c src/*/*/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SECONDS ?= 600

.PHONY: all demo check layers unit e2e asan asan-build tsan tsan-build fuzz fuzz-smoke bench install uninstall deps \
        deps-build clean pkgcheck pkgcheck-test FORCE http-tools
all: $(BUILD)/tcpflow

deps:
	@sh scripts/deps.sh all

deps-build:
	@sh scripts/deps.sh build

# One line naming the Debian packages of what pkg-config (or the compiler) cannot find,
# before any compiler error.  Order-only: runs once per make, rebuilds nothing.
pkgcheck:
	@CC="$(CC)" sh scripts/deps.sh --pc-check $(PKGS) $(PKGS_HDR) h:bzlib.h

pkgcheck-test:
	@CC="$(CC)" sh scripts/deps.sh --pc-check cmocka

# The version header changes only when the version does (then version.c alone rebuilds).
$(BUILD)/gen/version_gen.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define TCPFLOW_IMPL_VERSION "%s"\n' "$$(sh scripts/version.sh)" > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

$(BUILD)/src/util/version.o: $(BUILD)/gen/version_gen.h

# Quiet by default (V=1 prints every command).
Q := $(if $(V),,@)

$(BUILD)/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libtcpflow.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/tcpflow: $(BUILD)/src/main.o $(BUILD)/libtcpflow.a
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libtcpflow.a | pkgcheck-test
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libtcpflow.a $(LDLIBS) $(TEST_LIBS) -lcmocka

# Test tools of the http engine (tests/http/*.c), apart from the program and the unit tests.
http-tools: $(BUILD)/httpconn

$(BUILD)/httpconn: tests/http/httpconn.c $(BUILD)/libtcpflow.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libtcpflow.a $(LDLIBS)

unit: $(UNIT_BIN)
	@sh tests/unit/run.sh $(UNIT_BIN)

e2e: $(BUILD)/tcpflow
	@TCPFLOW=$(CURDIR)/$(BUILD)/tcpflow sh tests/e2e/run.sh

demo: deps-build
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh $(BUILD)/tcpflow

# The sanitizer build lives in build-asan/ with clang, so both compilers are exercised.
asan-build:
	@$(MAKE) --no-print-directory BUILD=build-asan CC=clang \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  build-asan/tcpflow $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)

# LeakSanitizer: only what CPython leaves on purpose (the python scanner) is
# suppressed, by its library's name (tests/asan/lsan-python.supp).
LSAN_ENV := LSAN_OPTIONS=suppressions=$(CURDIR)/tests/asan/lsan-python.supp:print_suppressions=0

asan: asan-build
	@echo "=== unit tests under ASan+UBSan"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(LSAN_ENV) \
	  sh tests/unit/run.sh $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)
	@echo "=== end-to-end tests under ASan+UBSan"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(LSAN_ENV) \
	  TCPFLOW=$(CURDIR)/build-asan/tcpflow TCPFLOW_SANITIZED=1 sh tests/e2e/run.sh

# ThreadSanitizer (build-tsan/, clang): the unit tests and the -j end-to-end test.
tsan-build:
	@$(MAKE) --no-print-directory BUILD=build-tsan CC=clang \
	  OPT="-O1 -g -fsanitize=thread -fno-omit-frame-pointer" \
	  build-tsan/tcpflow $(UNIT_SRC:tests/unit/%.c=build-tsan/tests/%)

tsan: tsan-build
	@echo "=== unit tests under ThreadSanitizer"
	@TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  sh tests/unit/run.sh $(UNIT_SRC:tests/unit/%.c=build-tsan/tests/%)
	@echo "=== -j end-to-end under ThreadSanitizer"
	@TSAN_OPTIONS=halt_on_error=1 JOBS_QUICK=1 E2E_ONLY="t_jobs t_live" \
	  TCPFLOW=$(CURDIR)/build-tsan/tcpflow TCPFLOW_SANITIZED=1 sh tests/e2e/run.sh

# libFuzzer harnesses: make fuzz FUZZ_SECONDS=600 (each harness), fuzz-smoke in make check.
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	  OPT="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	  build-fuzz/libtcpflow.a
	@mkdir -p build-fuzz/fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang $(CPPFLAGS) -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	    $(shell pkg-config --cflags $(PKGS) $(PKGS_HDR)) -o build-fuzz/fuzz/$$n $$f build-fuzz/libtcpflow.a $(LDLIBS) || exit 1; done

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	@sh tests/fuzz/run.sh 10

# The folders of src/ are the pipeline's stages: no stage includes a later one.
layers:
	@sh scripts/check-layers.sh

check: deps
	@$(MAKE) --no-print-directory layers all unit e2e
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory tsan
	@$(MAKE) --no-print-directory fuzz-smoke

bench: all
	@sh bench/run.sh

# What install puts in place, and uninstall removes: these files only.  Directories are
# left (as automake's uninstall does: they may hold other programs' files).
INSTALLED := $(PREFIX)/bin/tcpflow $(PREFIX)/share/man/man1/tcpflow.1

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/tcpflow $(DESTDIR)$(PREFIX)/bin/tcpflow
	install -m 0644 docs/tcpflow.1 $(DESTDIR)$(PREFIX)/share/man/man1/tcpflow.1

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

clean:
	rm -rf build build-asan build-tsan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- TLS engine test driver (tests/tls/tlsdecrypt.c): make tls-driver ----
# Decrypts one connection from its two ciphertext flow files and a key log
# (the engine alone, fed as a reader of files would: for debugging it).
.PHONY: tls-driver
tls-driver: $(BUILD)/tlsdecrypt
$(BUILD)/tlsdecrypt: tests/tls/tlsdecrypt.c $(BUILD)/libtcpflow.a
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libtcpflow.a $(LDLIBS)
