# mk/stress.mk: `make stress` builds large generated collections (not part of `make test` or
# CI): STRESS_SIZE of TREC (default 1G) with --memory STRESS_MEMORY (default 256M), checking
# peak RSS against the budget, the index against `check`, re-sync, add, delete, merge and -j1
# against -j2 (tests/cli/stress.sh). Needs about 3x STRESS_SIZE of free disk under STRESS_DIR.
STRESS_SIZE   ?= 1G
STRESS_MEMORY ?= 256M
STRESS_DIR    ?= build-stress
.PHONY: stress stress-scale
stress: stress-scale
stress-scale: bin/vsearch bin/vs-gencorpus
	@sh tests/cli/stress.sh bin/vsearch bin/vs-gencorpus $(STRESS_DIR) $(STRESS_SIZE) $(STRESS_MEMORY)
