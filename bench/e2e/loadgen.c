/*
 * loadgen: an NFSv3 load generator that is not fallthru's own code path. It speaks raw NFSv3
 * through libnfs's RPC layer (rpc_nfs3_*_async: no page cache, no directory cache, no
 * reconnects, no portmapper), keeps a fixed number of calls in flight on one TCP connection, and
 * checks every answer, so a server can never look fast by answering wrongly.
 *
 *   loadgen --host=127.0.0.1 --nfsport=P --mountport=M --export=/union --inflight=16
 *           [--lower-names=seed,...] [--dircount=8192] [--maxcount=65536]
 *   loadgen ... --probe          exit 0 once MNT and NFS NULL answer (readiness check)
 *
 * --lower-names are the names the lower layers put in the export's root: listings of the root
 * must show each of them once, besides what the phases created.
 *
 * After mounting it prints one JSON line {"ready":...} and then reads commands from stdin, one
 * per line, answering each with one JSON line. The harness samples the server's CPU time between
 * commands, so each command is one measured phase:
 *
 *   create N              mkdir ceil(N/1000) dirs dNNNNNN, create N empty files fNNNNNNN in them
 *   lookup | getattr      every file (fileid, type, mode and size checked)
 *   readdirplus           every directory and the root (each name exactly once, fileids match)
 *   setattr               chmod 0600 every file (post-op mode checked)
 *   write BYTES           create big.dat, UNSTABLE writes of stamped pages, COMMIT (verifier stable)
 *   read                  read big.dat back, every page stamp checked
 *   remove                remove every file, every directory and big.dat; root back to the seed
 *   bigdir-create E       one directory "bigdir" with E files eNNNNNNN
 *   bigdir-list           list it (READDIRPLUS pages are sequential: one chain)
 *   list-merged NAME E    list /NAME whose entries must be mNNNNNNN for 0 <= n < E, each once
 *   quit
 *
 * Transport failures and stalls are fatal ({"fatal":...} and exit 2); NFS errors and failed
 * checks are counted per phase and the first few are reported.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>

#define PER_DIR 1000
#define MAX_FH 64
#define PAGE 4096
#define STAMP_MAGIC 0x4654424e43483031ULL /* "FTBNCH01" */
#define STALL_SECONDS 60
#define MAX_MESSAGES 5

typedef struct {
  uint8_t len;
  char data[MAX_FH];
} fh_t;

/* ---- connection and loop ---------------------------------------------------------------- */

static struct rpc_context *rpc;
static int max_inflight = 16;
static int inflight;
static double last_progress;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s < 0x20) fputc(' ', f);
    else fputc(*s, f);
  }
  fputc('"', f);
}

static void fatal(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  printf("{\"fatal\":");
  json_string(stdout, msg);
  printf("}\n");
  fflush(stdout);
  exit(2);
}

/* Per-phase accounting. */
static uint64_t ops, bytes_moved, calls, errors;
static char messages[MAX_MESSAGES][256];
static int nmessages;
static int check_failed[16];
static const char *check_names[16];
static int nchecks;

static void phase_reset(void) {
  ops = bytes_moved = calls = errors = 0;
  nmessages = 0;
  nchecks = 0;
}

/* Declare a check; returns its slot. A check passes unless check_fail() is called on it. */
static int check(const char *name) {
  check_names[nchecks] = name;
  check_failed[nchecks] = 0;
  return nchecks++;
}

static void note(const char *fmt, va_list ap) {
  if (nmessages < MAX_MESSAGES) vsnprintf(messages[nmessages++], 256, fmt, ap);
}

/* An NFS-level error (a status other than the one expected). */
static void error(const char *fmt, ...) {
  va_list ap;
  errors++;
  va_start(ap, fmt);
  note(fmt, ap);
  va_end(ap);
}

static void check_fail(int slot, const char *fmt, ...) {
  va_list ap;
  check_failed[slot]++;
  va_start(ap, fmt);
  note(fmt, ap);
  va_end(ap);
}

static void phase_print(const char *phase, double seconds, const char *extra) {
  printf("{\"phase\":\"%s\",\"ops\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"calls\":%" PRIu64
         ",\"seconds\":%.6f,\"errors\":%" PRIu64 ",\"checks\":{",
         phase, ops, bytes_moved, calls, seconds, errors);
  for (int i = 0; i < nchecks; i++) printf("%s\"%s\":%s", i ? "," : "", check_names[i], check_failed[i] ? "false" : "true");
  printf("},\"messages\":[");
  for (int i = 0; i < nmessages; i++) {
    if (i) putchar(',');
    json_string(stdout, messages[i]);
  }
  printf("]%s%s}\n", extra ? "," : "", extra ? extra : "");
  fflush(stdout);
}

/* Issue one unit of work; returns 0 when there is none left. Callbacks decrement `inflight`. */
typedef int (*issue_fn)(void);

static void service_once(void) {
  struct pollfd pfd = {.fd = rpc_get_fd(rpc), .events = rpc_which_events(rpc)};
  int n = poll(&pfd, 1, 1000);
  if (n < 0 && errno != EINTR) fatal("poll: %s", strerror(errno));
  if (n <= 0) pfd.revents = 0;
  if (rpc_service(rpc, pfd.revents) < 0) fatal("connection failed: %s", rpc_get_error(rpc));
  if (now() - last_progress > STALL_SECONDS) fatal("stalled: no reply for %d s with %d calls in flight", STALL_SECONDS, inflight);
}

/* Keep up to max_inflight calls going until issue() has no more work and all replies are in. */
static void run(issue_fn issue) {
  int more = 1;
  last_progress = now();
  for (;;) {
    while (more && inflight < max_inflight) {
      if (!issue()) more = 0;
    }
    if (!more && inflight == 0) return;
    service_once();
  }
}

static void sent(int rc, const char *what) {
  if (rc < 0) fatal("cannot queue %s: %s", what, rpc_get_error(rpc));
  inflight++;
  calls++;
}

/* A callback's transport status: anything but success is fatal. Marks progress. */
static void arrived(int status, void *data, const char *what) {
  inflight--;
  last_progress = now();
  if (status != RPC_STATUS_SUCCESS) fatal("%s: rpc status %d: %s", what, status, status == RPC_STATUS_ERROR && data ? (char *)data : "");
}

/* NFSv3 status names for messages; JUKEBOX means the server asks to retry later (counted as an error). */
static const char *nfsstat(int st) {
  static char buf[32];
  switch (st) {
    case NFS3ERR_PERM: return "PERM";
    case NFS3ERR_NOENT: return "NOENT";
    case NFS3ERR_IO: return "IO";
    case NFS3ERR_ACCES: return "ACCES";
    case NFS3ERR_EXIST: return "EXIST";
    case NFS3ERR_NOTDIR: return "NOTDIR";
    case NFS3ERR_INVAL: return "INVAL";
    case NFS3ERR_NOSPC: return "NOSPC";
    case NFS3ERR_NOTEMPTY: return "NOTEMPTY";
    case NFS3ERR_STALE: return "STALE";
    case NFS3ERR_BADHANDLE: return "BADHANDLE";
    case NFS3ERR_BAD_COOKIE: return "BAD_COOKIE";
    case NFS3ERR_NOTSUPP: return "NOTSUPP";
    case NFS3ERR_TOOSMALL: return "TOOSMALL";
    case NFS3ERR_SERVERFAULT: return "SERVERFAULT";
    case NFS3ERR_JUKEBOX: return "JUKEBOX";
    default: snprintf(buf, sizeof buf, "%d", st); return buf;
  }
}

/* ---- state shared by the phases ----------------------------------------------------------- */

static fh_t root;
static uint32_t rtmax = 1 << 20, wtmax = 1 << 20;
static uint32_t dircount = 8192, maxcount = 65536;

static uint64_t nfiles, ndirs;
static fh_t *dir_fh, *file_fh;
static uint64_t *file_id, *dir_id;
static uint64_t next_job;

static void fh_set(fh_t *dst, const nfs_fh3 *src) {
  if (src->data.data_len > MAX_FH) fatal("file handle of %u bytes", src->data.data_len);
  dst->len = (uint8_t)src->data.data_len;
  memcpy(dst->data, src->data.data_val, src->data.data_len);
}

static nfs_fh3 fh3(fh_t *f) {
  nfs_fh3 r;
  r.data.data_len = f->len;
  r.data.data_val = f->data;
  return r;
}

static const fattr3 *attrs_of(const post_op_attr *a) {
  return a->attributes_follow ? &a->post_op_attr_u.attributes : NULL;
}

static void dir_name(char *buf, uint64_t d) { sprintf(buf, "d%06" PRIu64, d); }
static void file_name(char *buf, uint64_t i) { sprintf(buf, "f%07" PRIu64, i); }

static sattr3 mode_only(uint32_t mode) {
  sattr3 s;
  memset(&s, 0, sizeof s);
  s.mode.set_it = 1;
  s.mode.set_mode3_u.mode = mode;
  return s;
}

/* ---- mount ------------------------------------------------------------------------------- */

static int waiting;
static void connect_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  waiting = 0;
  if (status != RPC_STATUS_SUCCESS) fatal("connect: %s", data ? (char *)data : "failed");
}

static void wait_reply(struct rpc_context *r) {
  double start = now();
  while (waiting) {
    struct pollfd pfd = {.fd = rpc_get_fd(r), .events = rpc_which_events(r)};
    int n = poll(&pfd, 1, 200);
    if (n < 0 && errno != EINTR) fatal("poll: %s", strerror(errno));
    if (rpc_service(r, n > 0 ? pfd.revents : 0) < 0) fatal("connection failed: %s", rpc_get_error(r));
    if (now() - start > 10) fatal("no answer within 10 s");
  }
}

static struct rpc_context *connect_to(const char *host, int port, int program, int version) {
  struct rpc_context *r = rpc_init_context();
  if (!r) fatal("rpc_init_context failed");
  waiting = 1;
  if (rpc_connect_port_async(r, host, port, program, version, connect_cb, NULL) < 0)
    fatal("connect to %s:%d: %s", host, port, rpc_get_error(r));
  wait_reply(r);
  return r;
}

static void mnt_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  waiting = 0;
  if (status != RPC_STATUS_SUCCESS) fatal("MNT: %s", data ? (char *)data : "failed");
  mountres3 *res = data;
  if (res->fhs_status != MNT3_OK) fatal("MNT refused: status %d", res->fhs_status);
  fhandle3 *h = &res->mountres3_u.mountinfo.fhandle;
  if (h->fhandle3_len > MAX_FH) fatal("root handle of %u bytes", h->fhandle3_len);
  root.len = (uint8_t)h->fhandle3_len;
  memcpy(root.data, h->fhandle3_val, h->fhandle3_len);
}

static void null_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  waiting = 0;
  if (status != RPC_STATUS_SUCCESS) fatal("NULL: %s", data ? (char *)data : "failed");
}

static void fsinfo_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  waiting = 0;
  if (status != RPC_STATUS_SUCCESS) fatal("FSINFO: %s", data ? (char *)data : "failed");
  FSINFO3res *res = data;
  if (res->status != NFS3_OK) fatal("FSINFO: status %s", nfsstat(res->status));
  rtmax = res->FSINFO3res_u.resok.rtmax;
  wtmax = res->FSINFO3res_u.resok.wtmax;
}

static void mount_export(const char *host, int nfsport, int mountport, const char *export) {
  struct rpc_context *m = connect_to(host, mountport, MOUNT_PROGRAM, 3);
  waiting = 1;
  if (rpc_mount3_mnt_async(m, mnt_cb, (char *)export, NULL) < 0) fatal("MNT: %s", rpc_get_error(m));
  wait_reply(m);
  rpc_destroy_context(m);

  rpc = connect_to(host, nfsport, NFS_PROGRAM, 3);
  waiting = 1;
  if (rpc_nfs3_null_async(rpc, null_cb, NULL) < 0) fatal("NULL: %s", rpc_get_error(rpc));
  wait_reply(rpc);
  FSINFO3args fa = {.fsroot = fh3(&root)};
  waiting = 1;
  if (rpc_nfs3_fsinfo_async(rpc, fsinfo_cb, &fa, NULL) < 0) fatal("FSINFO: %s", rpc_get_error(rpc));
  wait_reply(rpc);
}

/* ---- create ------------------------------------------------------------------------------ */

static int ck_handles, ck_attrs;

static void mkdir_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  uint64_t d = (uintptr_t)priv;
  arrived(status, data, "MKDIR");
  MKDIR3res *res = data;
  if (res->status != NFS3_OK) return error("MKDIR d%06" PRIu64 ": status %s", d, nfsstat(res->status));
  MKDIR3resok *ok = &res->MKDIR3res_u.resok;
  if (!ok->obj.handle_follows) return check_fail(ck_handles, "MKDIR d%06" PRIu64 ": no handle", d);
  fh_set(&dir_fh[d], &ok->obj.post_op_fh3_u.handle);
  const fattr3 *a = attrs_of(&ok->obj_attributes);
  if (a) dir_id[d] = a->fileid;
  if (a && a->type != NF3DIR) check_fail(ck_attrs, "MKDIR d%06" PRIu64 ": type %d", d, a->type);
}

static int issue_mkdir(void) {
  if (next_job >= ndirs) return 0;
  uint64_t d = next_job++;
  char name[32];
  dir_name(name, d);
  MKDIR3args a = {.where = {.dir = fh3(&root), .name = name}, .attributes = mode_only(0755)};
  sent(rpc_nfs3_mkdir_async(rpc, mkdir_cb, &a, (void *)(uintptr_t)d), "MKDIR");
  return 1;
}

/* Files go to file_fh/file_id (index = global file number). Used by create and bigdir-create. */
static fh_t *create_fh;
static uint64_t *create_id;
static fh_t *create_dir_of_dirs; /* per-file parent: dir_fh[i / PER_DIR], or one dir */
static int create_one_dir;
static char create_prefix = 'f';
static uint64_t create_total;

static void create_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  uint64_t i = (uintptr_t)priv;
  arrived(status, data, "CREATE");
  CREATE3res *res = data;
  if (res->status != NFS3_OK) return error("CREATE %c%07" PRIu64 ": status %s", create_prefix, i, nfsstat(res->status));
  ops++;
  CREATE3resok *ok = &res->CREATE3res_u.resok;
  const fattr3 *a = attrs_of(&ok->obj_attributes);
  if (!ok->obj.handle_follows || !a) return check_fail(ck_handles, "CREATE %c%07" PRIu64 ": no handle or attributes", create_prefix, i);
  fh_set(&create_fh[i], &ok->obj.post_op_fh3_u.handle);
  create_id[i] = a->fileid;
  if (a->type != NF3REG || a->size != 0) check_fail(ck_attrs, "CREATE %c%07" PRIu64 ": type %d size %" PRIu64, create_prefix, i, a->type, a->size);
}

static int issue_create(void) {
  if (next_job >= create_total) return 0;
  uint64_t i = next_job++;
  char name[32];
  sprintf(name, "%c%07" PRIu64, create_prefix, i);
  fh_t *parent = create_one_dir ? create_dir_of_dirs : &dir_fh[i / PER_DIR];
  CREATE3args a;
  memset(&a, 0, sizeof a);
  a.where.dir = fh3(parent);
  a.where.name = name;
  a.how.mode = GUARDED;
  a.how.createhow3_u.g_obj_attributes = mode_only(0644);
  sent(rpc_nfs3_create_async(rpc, create_cb, &a, (void *)(uintptr_t)i), "CREATE");
  return 1;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) fatal("out of memory");
  return p;
}

static void cmd_create(uint64_t n) {
  free(dir_fh), free(file_fh), free(file_id), free(dir_id);
  nfiles = n;
  ndirs = (n + PER_DIR - 1) / PER_DIR;
  dir_fh = xcalloc(ndirs, sizeof *dir_fh);
  dir_id = xcalloc(ndirs, sizeof *dir_id);
  file_fh = xcalloc(n, sizeof *file_fh);
  file_id = xcalloc(n, sizeof *file_id);
  ck_handles = check("handles");
  ck_attrs = check("attributes");
  double t0 = now();
  next_job = 0;
  run(issue_mkdir);
  uint64_t mkdirs = calls;
  create_fh = file_fh, create_id = file_id, create_one_dir = 0, create_prefix = 'f', create_total = n;
  next_job = 0;
  run(issue_create);
  char extra[64];
  snprintf(extra, sizeof extra, "\"dirs\":%" PRIu64, mkdirs);
  phase_print("create", now() - t0, extra);
}

/* ---- lookup / getattr / setattr ----------------------------------------------------------- */

static int ck_fileid, ck_type;

static void lookup_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  uint64_t i = (uintptr_t)priv;
  arrived(status, data, "LOOKUP");
  LOOKUP3res *res = data;
  if (res->status != NFS3_OK) return error("LOOKUP f%07" PRIu64 ": status %s", i, nfsstat(res->status));
  ops++;
  LOOKUP3resok *ok = &res->LOOKUP3res_u.resok;
  fh_set(&file_fh[i], &ok->object);
  const fattr3 *a = attrs_of(&ok->obj_attributes);
  if (a && a->fileid != file_id[i]) check_fail(ck_fileid, "LOOKUP f%07" PRIu64 ": fileid %" PRIu64 " != created %" PRIu64, i, a->fileid, file_id[i]);
}

static int issue_lookup(void) {
  if (next_job >= nfiles) return 0;
  uint64_t i = next_job++;
  char name[32];
  file_name(name, i);
  LOOKUP3args a = {.what = {.dir = fh3(&dir_fh[i / PER_DIR]), .name = name}};
  sent(rpc_nfs3_lookup_async(rpc, lookup_cb, &a, (void *)(uintptr_t)i), "LOOKUP");
  return 1;
}

static void getattr_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  uint64_t i = (uintptr_t)priv;
  arrived(status, data, "GETATTR");
  GETATTR3res *res = data;
  if (res->status != NFS3_OK) return error("GETATTR f%07" PRIu64 ": status %s", i, nfsstat(res->status));
  ops++;
  const fattr3 *a = &res->GETATTR3res_u.resok.obj_attributes;
  if (a->fileid != file_id[i]) check_fail(ck_fileid, "GETATTR f%07" PRIu64 ": fileid %" PRIu64 " != %" PRIu64, i, a->fileid, file_id[i]);
  if (a->type != NF3REG || a->size != 0 || (a->mode & 07777) != 0644)
    check_fail(ck_type, "GETATTR f%07" PRIu64 ": type %d size %" PRIu64 " mode %o", i, a->type, a->size, a->mode);
}

static int issue_getattr(void) {
  if (next_job >= nfiles) return 0;
  uint64_t i = next_job++;
  GETATTR3args a = {.object = fh3(&file_fh[i])};
  sent(rpc_nfs3_getattr_async(rpc, getattr_cb, &a, (void *)(uintptr_t)i), "GETATTR");
  return 1;
}

static int ck_mode;

static void setattr_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  uint64_t i = (uintptr_t)priv;
  arrived(status, data, "SETATTR");
  SETATTR3res *res = data;
  if (res->status != NFS3_OK) return error("SETATTR f%07" PRIu64 ": status %s", i, nfsstat(res->status));
  ops++;
  const fattr3 *a = attrs_of(&res->SETATTR3res_u.resok.obj_wcc.after);
  if (a && (a->mode & 07777) != 0600) check_fail(ck_mode, "SETATTR f%07" PRIu64 ": mode after is %o", i, a->mode);
}

static int issue_setattr(void) {
  if (next_job >= nfiles) return 0;
  uint64_t i = next_job++;
  SETATTR3args a;
  memset(&a, 0, sizeof a);
  a.object = fh3(&file_fh[i]);
  a.new_attributes = mode_only(0600);
  sent(rpc_nfs3_setattr_async(rpc, setattr_cb, &a, (void *)(uintptr_t)i), "SETATTR");
  return 1;
}

static void simple_phase(const char *phase, issue_fn issue, const char *c1, int *s1, const char *c2, int *s2) {
  if (c1) *s1 = check(c1);
  if (c2) *s2 = check(c2);
  next_job = 0;
  double t0 = now();
  run(issue);
  phase_print(phase, now() - t0, NULL);
}

/* ---- directory listing ------------------------------------------------------------------- */

/*
 * A listing job walks one directory with READDIRPLUS, page after page (each page needs the
 * previous cookie, so a directory is one chain; several directories run side by side). classify()
 * maps a name to its slot in `seen` (or -1 for an unexpected name) and the fileid it must have.
 */
typedef int64_t (*classify_fn)(int job, const char *name, uint64_t *want_id);

struct list_job {
  fh_t *dir;
  cookie3 cookie;
  char verf[NFS3_COOKIEVERFSIZE];
  int job;
};

static classify_fn classify;
static uint8_t *seen;
static uint64_t seen_len;
static int ck_once, ck_known, ck_ids, ck_all;
static struct list_job *jobs;
static uint64_t njobs;
static uint64_t empty_pages;

static void list_page(struct list_job *j);

static void readdirplus_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  struct list_job *j = priv;
  arrived(status, data, "READDIRPLUS");
  READDIRPLUS3res *res = data;
  if (res->status != NFS3_OK) return error("READDIRPLUS job %d cookie %" PRIu64 ": status %s", j->job, j->cookie, nfsstat(res->status));
  READDIRPLUS3resok *ok = &res->READDIRPLUS3res_u.resok;
  int n = 0;
  for (entryplus3 *e = ok->reply.entries; e; e = e->nextentry) {
    j->cookie = e->cookie;
    n++;
    if (!strcmp(e->name, ".") || !strcmp(e->name, "..")) continue;
    ops++;
    uint64_t want = 0;
    int64_t slot = classify(j->job, e->name, &want);
    if (slot < 0) {
      check_fail(ck_known, "READDIRPLUS job %d: unexpected name %s", j->job, e->name);
      continue;
    }
    if (seen[slot]++) check_fail(ck_once, "READDIRPLUS job %d: %s listed twice", j->job, e->name);
    if (want && e->fileid != want) check_fail(ck_ids, "READDIRPLUS %s: fileid %" PRIu64 " != %" PRIu64, e->name, e->fileid, want);
  }
  memcpy(j->verf, ok->cookieverf, NFS3_COOKIEVERFSIZE);
  if (ok->reply.eof) return;
  if (n == 0 && ++empty_pages > 3) return error("READDIRPLUS job %d: empty pages without eof", j->job);
  list_page(j);
}

static void list_page(struct list_job *j) {
  READDIRPLUS3args a;
  memset(&a, 0, sizeof a);
  a.dir = fh3(j->dir);
  a.cookie = j->cookie;
  memcpy(a.cookieverf, j->verf, NFS3_COOKIEVERFSIZE);
  a.dircount = dircount;
  a.maxcount = maxcount;
  sent(rpc_nfs3_readdirplus_async(rpc, readdirplus_cb, &a, j), "READDIRPLUS");
}

static int issue_list(void) {
  if (next_job >= njobs) return 0;
  list_page(&jobs[next_job++]);
  return 1;
}

/* List `n` directories; `expected` slots of `seen` must all be set exactly once afterwards. */
static void list_dirs(const char *phase, fh_t **dirs, uint64_t n, uint64_t expected, classify_fn fn) {
  classify = fn;
  free(seen);
  seen = xcalloc(expected, 1);
  seen_len = expected;
  free(jobs);
  jobs = xcalloc(n, sizeof *jobs);
  for (uint64_t k = 0; k < n; k++) jobs[k].dir = dirs[k], jobs[k].job = (int)k;
  njobs = n;
  empty_pages = 0;
  ck_once = check("each name once");
  ck_known = check("no unexpected names");
  ck_ids = check("fileids");
  ck_all = check("every name listed");
  next_job = 0;
  double t0 = now();
  run(issue_list);
  double dt = now() - t0;
  uint64_t missing = 0;
  for (uint64_t s = 0; s < expected; s++) missing += !seen[s];
  if (missing) check_fail(ck_all, "%" PRIu64 " of %" PRIu64 " names never listed", missing, expected);
  phase_print(phase, dt, NULL);
}

/* readdirplus: jobs 0..ndirs-1 are the dNNNNNN dirs, job ndirs is the root. */
/* Names the lower layers put in the root (--lower-names=a,b): each must be listed once too. */
#define MAX_LOWER_NAMES 8
static char *lower_names[MAX_LOWER_NAMES];
static int nlower_names;

static int64_t lower_name_slot(const char *name) {
  for (int k = 0; k < nlower_names; k++)
    if (!strcmp(name, lower_names[k])) return k;
  return -1;
}

static int64_t classify_tree(int job, const char *name, uint64_t *want) {
  uint64_t k;
  if ((uint64_t)job == ndirs) {
    int64_t l = lower_name_slot(name);
    if (l >= 0) return (int64_t)(nfiles + ndirs) + l;
    if (sscanf(name, "d%06" SCNu64, &k) == 1 && k < ndirs && strlen(name) == 7) {
      *want = dir_id[k];
      return (int64_t)(nfiles + k);
    }
    return -1;
  }
  if (sscanf(name, "f%07" SCNu64, &k) != 1 || strlen(name) != 8) return -1;
  if (k / PER_DIR != (uint64_t)job || k >= nfiles) return -1;
  *want = file_id[k];
  return (int64_t)k;
}

static void cmd_readdirplus(void) {
  fh_t **dirs = xcalloc(ndirs + 1, sizeof *dirs);
  for (uint64_t d = 0; d < ndirs; d++) dirs[d] = &dir_fh[d];
  dirs[ndirs] = &root;
  /* slots: files, then dirs, then the names of the lower layers */
  list_dirs("readdirplus", dirs, ndirs + 1, nfiles + ndirs + nlower_names, classify_tree);
  free(dirs);
}

/* ---- big file ---------------------------------------------------------------------------- */

static fh_t big_fh;
static uint64_t big_size, next_offset;
static uint32_t chunk;
static char write_verf[NFS3_WRITEVERFSIZE];
static int have_verf, ck_verf, ck_stamps, ck_count;

static uint8_t fill_byte(uint64_t offset) { return (uint8_t)((offset >> 12) * 31 + 7); }

static void stamp(char *buf, uint64_t offset, uint32_t len) {
  for (uint32_t p = 0; p < len; p += PAGE) {
    uint64_t o = offset + p, magic = STAMP_MAGIC;
    uint32_t n = len - p < PAGE ? len - p : PAGE;
    memset(buf + p, fill_byte(o), n);
    if (n >= 16) memcpy(buf + p, &magic, 8), memcpy(buf + p + 8, &o, 8);
  }
}

static void remember_verf(const char *verf, const char *what) {
  if (!have_verf) memcpy(write_verf, verf, NFS3_WRITEVERFSIZE), have_verf = 1;
  else if (memcmp(write_verf, verf, NFS3_WRITEVERFSIZE)) check_fail(ck_verf, "%s: write verifier changed", what);
}

static void write_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  free(priv);
  arrived(status, data, "WRITE");
  WRITE3res *res = data;
  if (res->status != NFS3_OK) return error("WRITE: status %s", nfsstat(res->status));
  WRITE3resok *ok = &res->WRITE3res_u.resok;
  if (ok->count != chunk && ok->count != big_size % chunk) check_fail(ck_count, "WRITE: short write of %u", ok->count);
  bytes_moved += ok->count;
  ops += ok->count;
  remember_verf(ok->verf, "WRITE");
}

static int issue_write(void) {
  if (next_offset >= big_size) return 0;
  uint64_t off = next_offset;
  uint32_t len = big_size - off < chunk ? (uint32_t)(big_size - off) : chunk;
  next_offset += len;
  char *buf = malloc(len);
  if (!buf) fatal("out of memory");
  stamp(buf, off, len);
  WRITE3args a;
  memset(&a, 0, sizeof a);
  a.file = fh3(&big_fh);
  a.offset = off;
  a.count = len;
  a.stable = UNSTABLE;
  a.data.data_len = len;
  a.data.data_val = buf;
  /* libnfs encodes the call while queueing it; the buffer is released when the reply arrives */
  sent(rpc_nfs3_write_async(rpc, write_cb, &a, buf), "WRITE");
  return 1;
}

static void big_create_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  arrived(status, data, "CREATE big.dat");
  CREATE3res *res = data;
  if (res->status != NFS3_OK) fatal("CREATE big.dat: status %s", nfsstat(res->status));
  if (!res->CREATE3res_u.resok.obj.handle_follows) fatal("CREATE big.dat: no handle");
  fh_set(&big_fh, &res->CREATE3res_u.resok.obj.post_op_fh3_u.handle);
}

static void commit_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  arrived(status, data, "COMMIT");
  COMMIT3res *res = data;
  if (res->status != NFS3_OK) return error("COMMIT: status %s", nfsstat(res->status));
  remember_verf(res->COMMIT3res_u.resok.verf, "COMMIT");
}

static void size_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  arrived(status, data, "GETATTR big.dat");
  GETATTR3res *res = data;
  if (res->status != NFS3_OK) return error("GETATTR big.dat: status %s", nfsstat(res->status));
  uint64_t size = res->GETATTR3res_u.resok.obj_attributes.size;
  if (size != big_size) check_fail(ck_count, "big.dat is %" PRIu64 " bytes after COMMIT, wrote %" PRIu64, size, big_size);
}

static void wait_all(void) {
  last_progress = now();
  while (inflight) service_once();
}

static void cmd_write(uint64_t size) {
  ck_verf = check("write verifier stable");
  ck_count = check("full writes");
  have_verf = 0;
  big_size = size;
  chunk = (wtmax < (1u << 20) ? wtmax : (1u << 20)) & ~(uint32_t)(PAGE - 1);
  if (!chunk) fatal("server wtmax %u is below one page", wtmax);
  double t0 = now();
  CREATE3args c;
  memset(&c, 0, sizeof c);
  c.where.dir = fh3(&root);
  c.where.name = "big.dat";
  c.how.mode = GUARDED;
  c.how.createhow3_u.g_obj_attributes = mode_only(0644);
  sent(rpc_nfs3_create_async(rpc, big_create_cb, &c, NULL), "CREATE");
  wait_all();
  next_offset = 0;
  run(issue_write);
  COMMIT3args ca = {.file = fh3(&big_fh), .offset = 0, .count = 0};
  sent(rpc_nfs3_commit_async(rpc, commit_cb, &ca, NULL), "COMMIT");
  wait_all();
  double dt = now() - t0;
  GETATTR3args g = {.object = fh3(&big_fh)};
  sent(rpc_nfs3_getattr_async(rpc, size_cb, &g, NULL), "GETATTR");
  wait_all();
  char extra[64];
  snprintf(extra, sizeof extra, "\"chunk\":%u", chunk);
  phase_print("write", dt, extra);
}

struct read_req {
  uint64_t offset;
  uint32_t len;
};

static void read_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  struct read_req q = *(struct read_req *)priv;
  free(priv);
  arrived(status, data, "READ");
  READ3res *res = data;
  if (res->status != NFS3_OK) return error("READ @%" PRIu64 ": status %s", q.offset, nfsstat(res->status));
  READ3resok *ok = &res->READ3res_u.resok;
  if (ok->count != q.len || ok->data.data_len != q.len) return check_fail(ck_count, "READ @%" PRIu64 ": %u of %u bytes", q.offset, ok->data.data_len, q.len);
  if ((q.offset + q.len >= big_size) != !!ok->eof) check_fail(ck_count, "READ @%" PRIu64 ": eof %u", q.offset, ok->eof);
  const char *buf = ok->data.data_val;
  for (uint32_t p = 0; p < q.len; p += PAGE) {
    uint64_t o = q.offset + p, magic, at;
    uint32_t n = q.len - p < PAGE ? q.len - p : PAGE;
    if (n < 16) continue;
    memcpy(&magic, buf + p, 8), memcpy(&at, buf + p + 8, 8);
    if (magic != STAMP_MAGIC || at != o || (uint8_t)buf[p + n - 1] != fill_byte(o)) {
      check_fail(ck_stamps, "READ: page at %" PRIu64 " holds the stamp of %" PRIu64, o, at);
      break;
    }
  }
  bytes_moved += q.len;
  ops += q.len;
}

static int issue_read(void) {
  if (next_offset >= big_size) return 0;
  struct read_req *q = malloc(sizeof *q);
  if (!q) fatal("out of memory");
  q->offset = next_offset;
  q->len = big_size - next_offset < chunk ? (uint32_t)(big_size - next_offset) : chunk;
  next_offset += q->len;
  READ3args a = {.file = fh3(&big_fh), .offset = q->offset, .count = q->len};
  sent(rpc_nfs3_read_async(rpc, read_cb, &a, q), "READ");
  return 1;
}

static void cmd_read(void) {
  ck_stamps = check("page stamps");
  ck_count = check("full reads");
  chunk = (rtmax < (1u << 20) ? rtmax : (1u << 20)) & ~(uint32_t)(PAGE - 1);
  if (!big_size) fatal("read before write");
  next_offset = 0;
  double t0 = now();
  run(issue_read);
  char extra[64];
  snprintf(extra, sizeof extra, "\"chunk\":%u", chunk);
  phase_print("read", now() - t0, extra);
}

/* ---- remove ------------------------------------------------------------------------------ */

static void remove_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  uint64_t i = (uintptr_t)priv;
  arrived(status, data, "REMOVE");
  REMOVE3res *res = data;
  if (res->status != NFS3_OK) return error("REMOVE %" PRIu64 ": status %s", i, nfsstat(res->status));
  ops++;
}

static int issue_remove(void) {
  if (next_job >= nfiles) return 0;
  uint64_t i = next_job++;
  char name[32];
  file_name(name, i);
  REMOVE3args a = {.object = {.dir = fh3(&dir_fh[i / PER_DIR]), .name = name}};
  sent(rpc_nfs3_remove_async(rpc, remove_cb, &a, (void *)(uintptr_t)i), "REMOVE");
  return 1;
}

static void rmdir_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r;
  uint64_t d = (uintptr_t)priv;
  arrived(status, data, "RMDIR");
  RMDIR3res *res = data;
  /* NOTEMPTY here means a removed name is still in the directory */
  if (res->status != NFS3_OK) return error("RMDIR d%06" PRIu64 ": status %s", d, nfsstat(res->status));
  ops++;
}

static int issue_rmdir(void) {
  if (next_job >= ndirs) return 0;
  uint64_t d = next_job++;
  char name[32];
  dir_name(name, d);
  RMDIR3args a = {.object = {.dir = fh3(&root), .name = name}};
  sent(rpc_nfs3_rmdir_async(rpc, rmdir_cb, &a, (void *)(uintptr_t)d), "RMDIR");
  return 1;
}

static int64_t classify_lower_only(int job, const char *name, uint64_t *want) {
  (void)job, (void)want;
  return lower_name_slot(name);
}

static void cmd_remove(void) {
  double t0 = now();
  next_job = 0;
  run(issue_remove);
  next_job = 0;
  run(issue_rmdir);
  if (big_size) {
    REMOVE3args a = {.object = {.dir = fh3(&root), .name = "big.dat"}};
    sent(rpc_nfs3_remove_async(rpc, remove_cb, &a, (void *)(uintptr_t)UINT64_MAX), "REMOVE");
    wait_all();
  }
  double dt = now() - t0;
  /* Untimed: the root must be back to what the lower layer holds, each name once. */
  uint64_t saved_ops = ops, saved_calls = calls;
  fh_t *dirs[1] = {&root};
  classify = classify_lower_only;
  free(seen);
  seen = xcalloc(nlower_names, 1);
  free(jobs);
  jobs = xcalloc(1, sizeof *jobs);
  jobs[0].dir = dirs[0];
  njobs = 1;
  empty_pages = 0;
  ck_once = check("each name once");
  ck_known = check("root back to the lower layer");
  ck_ids = check("fileids");
  next_job = 0;
  run(issue_list);
  for (int k = 0; k < nlower_names; k++)
    if (!seen[k]) check_fail(ck_known, "%s of the lower layer is gone", lower_names[k]);
  ops = saved_ops, calls = saved_calls;
  phase_print("remove", dt, NULL);
}

/* ---- one big directory -------------------------------------------------------------------- */

static fh_t bigdir_fh;
static uint64_t bigdir_entries;
static fh_t *bigdir_files;
static uint64_t *bigdir_ids;

static void bigdir_mkdir_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  arrived(status, data, "MKDIR bigdir");
  MKDIR3res *res = data;
  if (res->status != NFS3_OK || !res->MKDIR3res_u.resok.obj.handle_follows) fatal("MKDIR bigdir: status %s", nfsstat(res->status));
  fh_set(&bigdir_fh, &res->MKDIR3res_u.resok.obj.post_op_fh3_u.handle);
}

static void cmd_bigdir_create(uint64_t e) {
  ck_handles = check("handles");
  ck_attrs = check("attributes");
  free(bigdir_files), free(bigdir_ids);
  bigdir_entries = e;
  bigdir_files = xcalloc(e, sizeof *bigdir_files);
  bigdir_ids = xcalloc(e, sizeof *bigdir_ids);
  double t0 = now();
  MKDIR3args a = {.where = {.dir = fh3(&root), .name = "bigdir"}, .attributes = mode_only(0755)};
  sent(rpc_nfs3_mkdir_async(rpc, bigdir_mkdir_cb, &a, NULL), "MKDIR");
  wait_all();
  create_fh = bigdir_files, create_id = bigdir_ids, create_one_dir = 1, create_dir_of_dirs = &bigdir_fh;
  create_prefix = 'e', create_total = e;
  next_job = 0;
  run(issue_create);
  phase_print("bigdir-create", now() - t0, NULL);
}

static int64_t classify_bigdir(int job, const char *name, uint64_t *want) {
  (void)job;
  uint64_t k;
  if (sscanf(name, "e%07" SCNu64, &k) != 1 || strlen(name) != 8 || k >= bigdir_entries) return -1;
  *want = bigdir_ids[k];
  return (int64_t)k;
}

static void cmd_bigdir_list(void) {
  fh_t *dirs[1] = {&bigdir_fh};
  list_dirs("bigdir-list", dirs, 1, bigdir_entries, classify_bigdir);
}

/* ---- a merged directory of the lower layers ----------------------------------------------- */

static uint64_t merged_entries;
static fh_t merged_fh;

static void merged_lookup_cb(struct rpc_context *r, int status, void *data, void *priv) {
  (void)r, (void)priv;
  arrived(status, data, "LOOKUP");
  LOOKUP3res *res = data;
  if (res->status != NFS3_OK) fatal("LOOKUP of the merged directory: status %s", nfsstat(res->status));
  fh_set(&merged_fh, &res->LOOKUP3res_u.resok.object);
}

static int64_t classify_merged(int job, const char *name, uint64_t *want) {
  (void)job, (void)want;
  uint64_t k;
  if (sscanf(name, "m%07" SCNu64, &k) != 1 || strlen(name) != 8 || k >= merged_entries) return -1;
  return (int64_t)k;
}

static void cmd_list_merged(const char *name, uint64_t e) {
  merged_entries = e;
  LOOKUP3args a = {.what = {.dir = fh3(&root), .name = (char *)name}};
  sent(rpc_nfs3_lookup_async(rpc, merged_lookup_cb, &a, NULL), "LOOKUP");
  wait_all();
  calls = 0;
  fh_t *dirs[1] = {&merged_fh};
  list_dirs("list-merged", dirs, 1, e, classify_merged);
}

/* ---- main -------------------------------------------------------------------------------- */

static const char *opt(int argc, char **argv, const char *key, const char *dflt) {
  size_t k = strlen(key);
  for (int i = 1; i < argc; i++)
    if (!strncmp(argv[i], key, k) && argv[i][k] == '=') return argv[i] + k + 1;
  return dflt;
}

static int flag(int argc, char **argv, const char *key) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], key)) return 1;
  return 0;
}

int main(int argc, char **argv) {
  const char *host = opt(argc, argv, "--host", "127.0.0.1");
  int nfsport = atoi(opt(argc, argv, "--nfsport", "2049"));
  int mountport = atoi(opt(argc, argv, "--mountport", "20048"));
  const char *export = opt(argc, argv, "--export", "/union");
  max_inflight = atoi(opt(argc, argv, "--inflight", "16"));
  dircount = (uint32_t)atoi(opt(argc, argv, "--dircount", "8192"));
  maxcount = (uint32_t)atoi(opt(argc, argv, "--maxcount", "65536"));
  char *names = strdup(opt(argc, argv, "--lower-names", ""));
  for (char *save = NULL, *t = strtok_r(names, ",", &save); t && nlower_names < MAX_LOWER_NAMES; t = strtok_r(NULL, ",", &save))
    lower_names[nlower_names++] = t;
  if (max_inflight < 1) fatal("--inflight must be at least 1");

  mount_export(host, nfsport, mountport, export);
  if (flag(argc, argv, "--probe")) return 0;
  printf("{\"ready\":true,\"rootHandleBytes\":%u,\"rtmax\":%u,\"wtmax\":%u}\n", root.len, rtmax, wtmax);
  fflush(stdout);

  char line[512];
  while (fgets(line, sizeof line, stdin)) {
    char cmd[64] = "", arg[256] = "";
    uint64_t n = 0;
    if (sscanf(line, "%63s %255s %" SCNu64, cmd, arg, &n) < 1) continue;
    phase_reset();
    uint64_t a = strtoull(arg, NULL, 10);
    if (!strcmp(cmd, "create")) cmd_create(a);
    else if (!strcmp(cmd, "lookup")) simple_phase("lookup", issue_lookup, "fileids", &ck_fileid, NULL, NULL);
    else if (!strcmp(cmd, "getattr")) simple_phase("getattr", issue_getattr, "fileids", &ck_fileid, "type, size and mode", &ck_type);
    else if (!strcmp(cmd, "readdirplus")) cmd_readdirplus();
    else if (!strcmp(cmd, "setattr")) simple_phase("setattr", issue_setattr, "mode after", &ck_mode, NULL, NULL);
    else if (!strcmp(cmd, "write")) cmd_write(a);
    else if (!strcmp(cmd, "read")) cmd_read();
    else if (!strcmp(cmd, "remove")) cmd_remove();
    else if (!strcmp(cmd, "bigdir-create")) cmd_bigdir_create(a);
    else if (!strcmp(cmd, "bigdir-list")) cmd_bigdir_list();
    else if (!strcmp(cmd, "list-merged")) cmd_list_merged(arg, n);
    else if (!strcmp(cmd, "quit")) break;
    else fatal("unknown command %s", cmd);
  }
  rpc_destroy_context(rpc);
  return 0;
}
