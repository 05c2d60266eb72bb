# mk/robust.mk: robustness tests beyond the unit and CLI tests (issue "Robustness").
#   make robust-cli   hostile inputs, CI sizes (tests/cli/hostile.sh) and damaged index directories
#                     through the CLI (tests/cli/corrupt.sh); part of `make test` (about a minute)
#   make stress       (with mk/stress.mk) hostile inputs at full size: a 1 GB file with no newline, a 100 MB token,
#                     10^6 files, a JSONL line of 10^6 fields (needs ~3 GB of disk, tens of minutes)
#   make valgrind     the unit tests and the CLI tests (tests/cli/run.sh) under valgrind memcheck:
#                     any error or definite/indirect leak fails (--error-exitcode)
# The in-process byte-flip test (tests/test_corrupt.c) is a unit test: `make unit` runs it (every
# byte); under valgrind it samples every 97th offset (VSEARCH_CORRUPT_SAMPLE).

VALGRIND ?= valgrind
VALGRIND_FLAGS := --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
                  --show-leak-kinds=definite,indirect --track-origins=yes

.PHONY: robust-cli stress stress-hostile valgrind valgrind-unit valgrind-cli

# LD_PRELOAD shim that makes chosen files vanish between listing and reading (tests/cli/vanish.c).
$(BUILD)/tests/vanish.so: tests/cli/vanish.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O1 -shared -fPIC -o $@ $< -ldl

robust-cli: bin/vsearch $(BUILD)/tests/vanish.so
	@sh tests/cli/hostile.sh bin/vsearch ci $(BUILD)/tests/vanish.so
	@sh tests/cli/corrupt.sh bin/vsearch

test: robust-cli

# `make stress` also runs mk/stress.mk's collections at scale; this file only adds a prerequisite.
stress: stress-hostile
stress-hostile: bin/vsearch $(BUILD)/tests/vanish.so
	@sh tests/cli/hostile.sh bin/vsearch stress $(BUILD)/tests/vanish.so

# A wrapper with the path of a binary, so that scripts that take "BIN/vsearch" run it under valgrind.
$(BUILD)/valgrind/vsearch: bin/vsearch mk/robust.mk
	@mkdir -p $(dir $@)
	@printf '#!/bin/sh\nexec $(VALGRIND) $(VALGRIND_FLAGS) %s/bin/vsearch "$$@"\n' "$(CURDIR)" >$@
	@chmod +x $@

valgrind-unit: $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do echo "== valgrind $$t"; \
	    (cd tests && VSEARCH_CORRUPT_SAMPLE=97 $(VALGRIND) $(VALGRIND_FLAGS) ../$$t) || { echo "valgrind: $$t failed (exit 99: memcheck errors or leaks)"; exit 1; }; done

# The shared-corpora cases (BBC, CACM) are left out under valgrind (~50x slower): `make test`
# runs them natively and `make asan` under ASan; here the other ~100 checks take ~3 minutes.
valgrind-cli: $(BUILD)/valgrind/vsearch $(BUILD)/tests/example_embed
	@VSEARCH_CORPORA=/nonexistent sh tests/cli/run.sh $(BUILD)/valgrind/vsearch $(BUILD)/tests/example_embed

valgrind: valgrind-unit valgrind-cli
