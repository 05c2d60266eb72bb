# mk/fuzz.mk: libFuzzer targets (tests/fuzz/, README there). Needs clang and libclang-rt-14-dev.
#   make fuzz                 every target for FUZZ_SECONDS (default 60) each, one after another
#   make fuzz-smoke           every target for FUZZ_SMOKE_SECONDS (10) s (CI), after replaying tests/fixtures/crashes/
#   make fuzz-regress         replay the saved crashing inputs only (seconds)
#   make fuzz-one FUZZ_TARGET=segment FUZZ_SECONDS=600
# The library sources are compiled again with clang, coverage and ASan+UBSan (-fno-sanitize-recover:
# any undefined behaviour stops the run), twice: obj/ with edge coverage and comparison tracing
# (trace-cmp, which lets libFuzzer solve magic values and lengths), objn/ with edge coverage only.
# Each target links the code it is aimed at from obj/ and, where FUZZ_NOCMP_<target> says so,
# helpers that other targets fuzz directly from objn/ (see "Speed" in tests/fuzz/README.md). Seeds are made from tests/fixtures/ and corpus/ by
# tests/fuzz/mkseeds.sh (segment and MANIFEST seeds are built by bin/vsearch, so they always match
# the current format); each target's growing corpus lives in build-fuzz/corpus/TARGET, crashing
# inputs land in build-fuzz/crashes/, and every run appends "date target seconds executions
# result" to build-fuzz/fuzz-log.tsv (tests/fuzz/README.md keeps the running totals).

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   ?= build-fuzz
FUZZ_FLAGS   := -g -O2 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror=implicit-function-declaration $(FUZZ_FLAGS)
FUZZ_SOURCES := analyze passage postings segment manifest catalog topics eval parse source_input
FUZZ_FORMATS := text trec jsonl reuters smart auto
FUZZ_TARGETS := $(FUZZ_SOURCES) $(FUZZ_FORMATS:%=source_%)
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o) $(LIB_SRC:%.c=$(FUZZ_BUILD)/objn/%.o)
FUZZ_HDRS    := $(HDRS) tests/fuzz/fuzz_util.h
# Comparison tracing costs a callback per comparison executed (per byte in the scanners): 55-60%
# of the time of the text targets went to __sanitizer_cov_trace_*cmp*, most of it in the
# analyzer and passage splitter, which fuzz_analyze and fuzz_passage fuzz with it. These lists
# name the sources a target links without it (edge coverage, ASan and UBSan stay on).
FUZZ_NOCMP_source  := index/analyze.c index/passage.c
FUZZ_NOCMP_segment := index/analyze.c query/parse.c query/snippet.c
# fz_objs(T): the library objects for target T
fz_objs = $(foreach f,$(LIB_SRC),$(if $(filter $f,$(FUZZ_NOCMP_$(1))),$(FUZZ_BUILD)/objn/$(f:.c=.o),$(FUZZ_BUILD)/obj/$(f:.c=.o)))
# The harness itself gets edge coverage but no comparison tracing: its comparisons are the
# invariant checks (loops over every byte of every document), which guide nothing.
FUZZ_HARNESS := -Itests/fuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer -fno-sanitize-coverage=trace-cmp
.PHONY: fuzz fuzz-build fuzz-smoke fuzz-regress fuzz-one fuzz-seeds clean-fuzz
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(FUZZ_EXTRA) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/objn/%.o: %.c $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) $(FUZZ_EXTRA) -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp -c -o $@ $<

$(FUZZ_BUILD)/fuzz_source_input: tests/fuzz/fuzz_source_input.c $(FUZZ_LIB_OBJ) $(FUZZ_HDRS)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_HARNESS) -o $@ $< $(call fz_objs,source_input) $(LDLIBS)

$(FUZZ_BUILD)/fuzz_source_%: tests/fuzz/fuzz_source.c $(FUZZ_LIB_OBJ) $(FUZZ_HDRS)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_HARNESS) \
	    -DFUZZ_FORMAT=VS_FMT_$(shell echo $* | tr a-z A-Z) -o $@ $< $(call fz_objs,source) $(LDLIBS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ) $(FUZZ_HDRS)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_HARNESS) -o $@ $< $(call fz_objs,$*) $(LDLIBS)

# A segment finding -> an index directory for the CLI (see fz_mkindex.c).
$(FUZZ_BUILD)/fz_mkindex: tests/fuzz/fz_mkindex.c lib/libvsearch.a $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(WARN) $(CFLAGS) -o $@ $< lib/libvsearch.a $(LDLIBS)

# The segment findings' regression inputs, written again in the current format (see the file).
$(FUZZ_BUILD)/mkfixtures_segment: tests/fuzz/mkfixtures_segment.c lib/libvsearch.a $(FUZZ_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -o $@ $< lib/libvsearch.a $(LDLIBS)

.PHONY: fuzz-fixtures
fuzz-fixtures: $(FUZZ_BUILD)/mkfixtures_segment
	@mkdir -p $(FUZZ_BUILD)/fixtures
	$(FUZZ_BUILD)/mkfixtures_segment $(FUZZ_BUILD)/fixtures
	cp $(FUZZ_BUILD)/fixtures/F1 tests/fixtures/crashes/segment/F1-check-misses-stored-text-ref
	cp $(FUZZ_BUILD)/fixtures/F2 tests/fixtures/crashes/segment/F2-phrase-damage-reported-as-enomem
	cp $(FUZZ_BUILD)/fixtures/F6 tests/fixtures/crashes/segment/F6-stored-block-2gb-allocation

fuzz-build: $(FUZZ_BINS) $(FUZZ_BUILD)/fz_mkindex $(FUZZ_BUILD)/mkfixtures_segment

fuzz-seeds: bin/vsearch
	@sh tests/fuzz/mkseeds.sh bin/vsearch $(FUZZ_BUILD)/seeds

# One run of one target (tests/fuzz/run.sh); FUZZ_SECS is set by the target that asks for it.
FUZZ_SECS ?= $(FUZZ_SECONDS)
fuzz-run-%: $(FUZZ_BUILD)/fuzz_% fuzz-seeds fuzz-regress
	@sh tests/fuzz/run.sh $* $(FUZZ_SECS) $(FUZZ_BUILD)

# Replays every saved crashing input (tests/fixtures/crashes/TARGET/*) once: regression tests.
fuzz-regress: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	    files=$$(ls tests/fixtures/crashes/$$t/* 2>/dev/null || true); \
	    if [ -n "$$files" ]; then echo "== replay fuzz_$$t: $$(echo $$files | wc -w) input(s)"; \
	        $(FUZZ_BUILD)/fuzz_$$t -runs=1 $$files >$(FUZZ_BUILD)/replay_$$t.log 2>&1 || \
	        { tail -40 $(FUZZ_BUILD)/replay_$$t.log; exit 1; }; fi; done

fuzz: FUZZ_SECS = $(FUZZ_SECONDS)
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)
	@echo "fuzz: $(words $(FUZZ_TARGETS)) targets, $(FUZZ_SECONDS) s each; totals in $(FUZZ_BUILD)/fuzz-log.tsv"

FUZZ_SMOKE_SECONDS ?= 10
fuzz-smoke: FUZZ_SECS = $(FUZZ_SMOKE_SECONDS)
fuzz-smoke: $(FUZZ_TARGETS:%=fuzz-run-%)
	@echo "fuzz-smoke: $(words $(FUZZ_TARGETS)) passed, 0 failed"

FUZZ_TARGET ?= segment
fuzz-one: fuzz-run-$(FUZZ_TARGET)

clean-fuzz:
	rm -rf $(FUZZ_BUILD)
