# mk/scale.mk: end-to-end tests of indexing at scale (issue 4), part of `make test`:
# add/delete/merge/re-sync from the CLI, crash safety (failpoints and SIGKILL for build, add,
# merge), file-size limits, the memory budget, a 10,000-file no-op re-sync (tests/cli/scale.sh).
.PHONY: scale-cli
test: scale-cli
scale-cli: bin/vsearch bin/vs-gencorpus
	@sh tests/cli/scale.sh bin/vsearch bin/vs-gencorpus
