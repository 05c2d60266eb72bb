# vsearch: GNU Make build. `make` builds bin/vsearch and lib/libvsearch.a; `make test` runs every test.
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wvla -Wformat=2 -Werror=implicit-function-declaration
CPPFLAGS += -Iinclude -Iindex -Iquery
LDLIBS  := -lxxhash -llz4 -lbsd -lutf8proc -lstemmer -lz -lzstd -lm -lpthread

BUILD   ?= build
LIB_SRC := $(sort $(wildcard index/*.c) $(wildcard query/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_SRC := $(sort $(wildcard tools/vsearch.c tools/cmd_*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
HDRS    := $(wildcard include/*.h index/*.h query/*.h tools/*.h)

.PHONY: all test unit cli clean bench asan
all: bin/vsearch lib/libvsearch.a bin/vs-gencorpus

$(BUILD)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

lib/libvsearch.a: $(LIB_OBJ)
	@mkdir -p lib
	rm -f $@ && ar rcs $@ $^

bin/vsearch: $(CLI_OBJ) lib/libvsearch.a
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) lib/libvsearch.a $(LDLIBS)

# Corpus generator for benchmarks (standalone: no library needed).
bin/vs-gencorpus: tools/gencorpus.c
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $< -lm

$(BUILD)/tests/%: tests/%.c lib/libvsearch.a $(HDRS) tests/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(WARN) $(CFLAGS) -o $@ $< lib/libvsearch.a $(LDLIBS) -lcmocka

$(BUILD)/tests/example_embed: tests/example_embed.c lib/libvsearch.a include/vsearch.h
	@mkdir -p $(dir $@)
	$(CC) -Iinclude $(WARN) $(CFLAGS) -o $@ $< lib/libvsearch.a $(LDLIBS)

unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== $$t"; (cd tests && ../$$t); done

cli: bin/vsearch bin/vs-gencorpus $(BUILD)/tests/example_embed
	@sh tests/cli/run.sh bin/vsearch $(BUILD)/tests/example_embed
	@sh tests/cli/gencorpus.sh bin/vs-gencorpus

test: all unit cli

# VSEARCH_ASAN tells the test scripts that resident-memory figures include ASan's shadow memory.
asan:
	VSEARCH_ASAN=1 $(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    LDFLAGS="-fsanitize=address,undefined" test

bench: all
	@sh bench/run.sh

clean:
	rm -rf build build-asan bin lib

# Further targets (fuzz, stress, ...) live in mk/*.mk, one file per concern.
-include $(sort $(wildcard mk/*.mk))
