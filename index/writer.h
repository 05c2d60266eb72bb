/* writer.h: the one writer of an index directory: lock, state, deletions, catalog, commits and
 * merges (DESIGN.md §6, §7; layout and commit protocol: index/FORMAT.md).
 *
 * vs_writer_open() takes DIR/LOCK (flock; a second writer gets an error naming the holder's
 * PID), removes what a killed writer left behind (files of ours that the MANIFEST does not name),
 * and loads the current snapshot: segments, their deletion bitmaps, and (on demand) the file
 * catalog. Changes are made in memory — new segments (written and fsynced by the caller under a
 * name from vs_writer_name()), deleted documents, catalog edits — and become visible only with
 * vs_writer_commit(): new deletion files and catalog are written and fsynced, the directory is
 * fsynced, a new MANIFEST is renamed into place and the directory fsynced again; only then are
 * the files the new MANIFEST no longer names removed. A writer that stops at any point (error,
 * kill -9, power cut) leaves the previous snapshot intact; vs_writer_close() without a commit
 * removes the files this writer created.
 *
 * External document ids are unique among live documents: vs_writer_add_segment() deletes every
 * older live document whose id the new segment also holds (and, inside the new segment, all
 * but the last of equal ids), so adding a document that exists replaces it.
 *
 * Merging (vs_writer_merge_policy after each commit, vs_writer_force_merge for `vsearch
 * merge`) rewrites segments through merge.h, dropping deleted documents; each merge is its own
 * commit. Tiered policy: a segment's size is its live passages; sizes fall into tiers of
 * factor VS_MERGE_FACTOR above VS_MERGE_FLOOR passages; whenever a tier holds VS_MERGE_FACTOR
 * segments they are merged into one (of a higher tier), and a segment more than half deleted is
 * rewritten. With S live passages that keeps at most (VS_MERGE_FACTOR - 1) segments per tier,
 * about (VS_MERGE_FACTOR - 1) * (1 + log_F(S / VS_MERGE_FLOOR)) segments in all — up to the
 * largest segment the memory budget allows (max_tables): of a full tier whose merge would be
 * larger, the smallest segments that fit are merged (at least two; none fit: the tier stays, its
 * segments are full size, like Lucene's maximum merged segment size), so that a merge never
 * needs more memory than the build that made its inputs. Beyond that size the segment count
 * grows with the collection. vs_writer_force_merge (an explicit `vsearch merge`) is not
 * limited. */
#ifndef VS_WRITER_H
#define VS_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "manifest.h"
#include "segment.h"
#include "vs_err.h"

#define VS_MERGE_FACTOR 10
#define VS_MERGE_FLOOR 20000u  /* passages: segments below this size share the lowest tier */
/* Bytes a segment writer holds for `docs` documents and `passages` passages that no spill can
 * give back (passage lengths, ids of ~12 bytes and per-document tables, with the slack of
 * doubling arrays): what the merge policy's max_tables bounds (the build's segment cut,
 * vs_ingest_opts.seg_limit, measures the writer's real tables; longer ids make a merge's
 * tables up to ~1.5x this). */
#define VS_WRITER_TABLES(docs, passages) (2 * (32 * (uint64_t)(docs) + 4 * (uint64_t)(passages)))

typedef struct vs_wseg {
    char *name;
    vs_segment *seg;
    vs_manifest_seg ms;         /* counts and trailer hash (ms.name/del_name unused) */
    uint8_t *del;               /* deleted documents (bitmap), NULL when none */
    uint64_t n_del_docs, n_del_passages;
    char *del_name;             /* the committed deletion file, or NULL */
    uint64_t del_hash;
    int del_dirty;              /* deletions changed since the last commit */
    int fresh;                  /* created by this writer and not committed yet */
} vs_wseg;

typedef struct vs_writer {
    char *dir;
    int lock_fd;
    int existed;                /* a MANIFEST was there when opened */
    int old_format;             /* (create) a segment uses an older format: only a full rebuild can go on;
                                   its segments are not loaded */
    vs_manifest man;            /* generation and configuration (its segment list is not used) */
    vs_wseg *seg;
    size_t n_seg, cap_seg;
    vs_catalog cat;
    int cat_loaded, cat_dirty;
    char *cat_name;             /* the committed catalog */
    uint64_t cat_size, cat_hash;
    uint64_t seq;               /* names made so far */
    size_t window;              /* merge: bytes read between releases of input pages */
    uint64_t max_tables;        /* merge policy: no merge whose output's per-document tables
                                   (VS_WRITER_TABLES) would pass this (0: no limit) */
    uint64_t merges;            /* merges done (stats) */
} vs_writer;

/* Opens DIR for writing. create: make DIR if needed and accept a directory without an index
 * (w->existed = 0); otherwise no index is VS_ENOENT. */
VS_MUST_CHECK vs_rc vs_writer_open(const char *dir, int create, vs_writer **out, vs_err *err);
/* Releases the lock; removes files this writer created and did not commit. NULL is a no-op. */
void vs_writer_close(vs_writer *w);

/* A fresh file name "<kind>-<16 hex>-<8 hex><ext>" (kind: seg, del, files, tmp) and its path. */
void vs_writer_name(vs_writer *w, const char *kind, const char *ext, char *name, size_t name_cap,
                    char *path, size_t path_cap);

/* Forgets every segment and the catalog (a replacing build); takes the new configuration. */
void vs_writer_reset(vs_writer *w, const vs_manifest *config);
/* Registers DIR/name (complete and fsynced) as a new segment, then enforces unique ids
 * (see above); *replaced counts the older documents it deleted. *index = its position. */
VS_MUST_CHECK vs_rc vs_writer_add_segment(vs_writer *w, const char *name, size_t *index,
                                          uint64_t *replaced, vs_err *err);
/* Deletes the live document with external id [id, id+len). *found = 0 when there is none. */
VS_MUST_CHECK vs_rc vs_writer_delete_id(vs_writer *w, const char *id, size_t len, int *found, vs_err *err);
/* Deletes documents [first, first+n) of the segment with trailer hash seg (a catalog entry). */
VS_MUST_CHECK vs_rc vs_writer_delete_range(vs_writer *w, uint64_t seg, uint32_t first, uint32_t n, vs_err *err);
/* The catalog (loaded on first use; sorted). Mark w->cat_dirty after editing it. */
VS_MUST_CHECK vs_rc vs_writer_catalog(vs_writer *w, vs_catalog **cat, vs_err *err);
/* Does anything need committing? */
int vs_writer_dirty(const vs_writer *w);
VS_MUST_CHECK vs_rc vs_writer_commit(vs_writer *w, vs_err *err);

/* Merges segments idx[0..n) (positions in w->seg, increasing) into one, placed where the first
 * was, updating the catalog; not committed. Fully deleted inputs just disappear. */
VS_MUST_CHECK vs_rc vs_writer_merge(vs_writer *w, const size_t *idx, size_t n, vs_err *err);
/* The tiered policy: merges and commits until no tier is full. */
VS_MUST_CHECK vs_rc vs_writer_merge_policy(vs_writer *w, vs_err *err);
/* Rewrites every segment with deletions, then merges the smallest adjacent ones until at most
 * max_segments remain (>= 1); commits. */
VS_MUST_CHECK vs_rc vs_writer_force_merge(vs_writer *w, size_t max_segments, vs_err *err);

/* Live (not deleted) documents and passages over all segments. */
uint64_t vs_writer_live_docs(const vs_writer *w);

#endif
