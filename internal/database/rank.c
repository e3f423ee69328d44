// folio_bm25: FTS5's bm25 ranking, with the document frequencies of the query's phrases given
// by the caller instead of counted on every query.
//
// FTS5's own bm25() counts, for each phrase of a query, every row of the index that holds it
// (the IDF's "nHit"), once per statement. For a common word in a million items that walk is
// tens of milliseconds, most of a search's time, and it grows with the site. folio_bm25 takes
// those counts as arguments, so that Folio can keep them for a while (content/search.go);
// where one is NULL it counts it as bm25 does, and all of them when their number is not the
// query's number of phrases (FTS5 drops a phrase that tokenizes to nothing, which would shift
// the counts given onto the wrong phrases). The rest is bm25 exactly: k1 = 1.2, b = 0.75, a
// weight per column, the score negated so that lower ranks first.
//
//   folio_bm25(fts_table, weight_col0, …, weight_colN-1, hits_phrase0, hits_phrase1, …)
//
// As with bm25, what a statement computes once (the counts, the average length) is kept by
// FTS5 per cursor and function: the counts are read on the first row, so they must be the same
// for every row (constants or bound parameters), and two folio_bm25 calls in one statement
// share the first one's.
//
// SQLite's headers are not on the include path of this package (the driver compiles its own
// copy of SQLite), so the few declarations used are written out below. Fts5ExtensionApi is
// declared only up to the last member used: the struct is only ever reached through a pointer
// that FTS5 passes in, and its members are append-only across versions.

#include <math.h>
#include <string.h>

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
typedef struct sqlite3_api_routines sqlite3_api_routines;
typedef long long sqlite3_int64;
typedef unsigned long long sqlite3_uint64;

#define SQLITE_OK 0
#define SQLITE_NOMEM 7
#define SQLITE_NULL 5

int sqlite3_auto_extension(void (*xEntryPoint)(void));
int sqlite3_compileoption_used(const char *zOptName);
int sqlite3_prepare_v2(sqlite3 *db, const char *zSql, int nByte, sqlite3_stmt **ppStmt, const char **pzTail);
int sqlite3_bind_pointer(sqlite3_stmt *stmt, int i, void *p, const char *type, void (*destroy)(void *));
int sqlite3_step(sqlite3_stmt *stmt);
int sqlite3_finalize(sqlite3_stmt *stmt);
void *sqlite3_malloc64(sqlite3_uint64 n);
void sqlite3_free(void *p);
void sqlite3_result_double(sqlite3_context *ctx, double v);
void sqlite3_result_error_code(sqlite3_context *ctx, int code);
int sqlite3_value_type(sqlite3_value *v);
double sqlite3_value_double(sqlite3_value *v);
sqlite3_int64 sqlite3_value_int64(sqlite3_value *v);

typedef struct Fts5Context Fts5Context;
typedef struct Fts5ExtensionApi Fts5ExtensionApi;
typedef void (*fts5_extension_function)(const Fts5ExtensionApi *api, Fts5Context *fts,
                                        sqlite3_context *ctx, int nVal, sqlite3_value **vals);

struct Fts5ExtensionApi {
	int iVersion;
	void *(*xUserData)(Fts5Context *);
	int (*xColumnCount)(Fts5Context *);
	int (*xRowCount)(Fts5Context *, sqlite3_int64 *pnRow);
	int (*xColumnTotalSize)(Fts5Context *, int iCol, sqlite3_int64 *pnToken);
	int (*xTokenize)(Fts5Context *, const char *pText, int nText, void *pCtx,
	                 int (*xToken)(void *, int, const char *, int, int, int));
	int (*xPhraseCount)(Fts5Context *);
	int (*xPhraseSize)(Fts5Context *, int iPhrase);
	int (*xInstCount)(Fts5Context *, int *pnInst);
	int (*xInst)(Fts5Context *, int iIdx, int *piPhrase, int *piCol, int *piOff);
	sqlite3_int64 (*xRowid)(Fts5Context *);
	int (*xColumnText)(Fts5Context *, int iCol, const char **pz, int *pn);
	int (*xColumnSize)(Fts5Context *, int iCol, int *pnToken);
	int (*xQueryPhrase)(Fts5Context *, int iPhrase, void *pUserData,
	                    int (*)(const Fts5ExtensionApi *, Fts5Context *, void *));
	int (*xSetAuxdata)(Fts5Context *, void *pAux, void (*xDelete)(void *));
	void *(*xGetAuxdata)(Fts5Context *, int bClear);
};

typedef struct fts5_api fts5_api;
struct fts5_api {
	int iVersion;
	void *xCreateTokenizer; // function pointers not used here
	void *xFindTokenizer;
	int (*xCreateFunction)(fts5_api *api, const char *zName, void *pUserData,
	                       fts5_extension_function xFunction, void (*xDestroy)(void *));
};

// rankData is what one statement computes once: the average row length and each phrase's IDF;
// freq is scratch space for the row being ranked.
typedef struct {
	int phrases;
	double avgdl;
	double *idf;
	double *freq;
} rankData;

static int countRow(const Fts5ExtensionApi *api, Fts5Context *fts, void *hits) {
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)hits)++;
	return SQLITE_OK;
}

static int rankDataOf(const Fts5ExtensionApi *api, Fts5Context *fts, int nVal, sqlite3_value **vals,
                      rankData **out) {
	rankData *d = api->xGetAuxdata(fts, 0);
	if (d) {
		*out = d;
		return SQLITE_OK;
	}
	int phrases = api->xPhraseCount(fts);
	int columns = api->xColumnCount(fts);
	d = sqlite3_malloc64(sizeof(rankData) + (sqlite3_uint64)phrases * 2 * sizeof(double));
	if (!d) return SQLITE_NOMEM;
	memset(d, 0, sizeof(rankData) + (size_t)phrases * 2 * sizeof(double));
	d->phrases = phrases;
	d->idf = (double *)&d[1];
	d->freq = d->idf + phrases;

	int given = nVal - columns; // counts passed in: all of the phrases' or none
	if (given != phrases) given = 0;

	sqlite3_int64 rows = 0, tokens = 0;
	int rc = api->xRowCount(fts, &rows);
	if (rc == SQLITE_OK) rc = api->xColumnTotalSize(fts, -1, &tokens);
	if (rc == SQLITE_OK) d->avgdl = rows > 0 ? (double)tokens / (double)rows : 1.0;
	for (int i = 0; rc == SQLITE_OK && i < phrases; i++) {
		sqlite3_int64 hits = 0;
		int arg = columns + i;
		if (i < given && sqlite3_value_type(vals[arg]) != SQLITE_NULL) {
			hits = sqlite3_value_int64(vals[arg]);
		} else {
			rc = api->xQueryPhrase(fts, i, &hits, countRow);
		}
		// A count kept from before deletions may exceed the rows there are now.
		if (hits > rows) hits = rows;
		if (hits < 0) hits = 0;
		double idf = log(((double)rows - (double)hits + 0.5) / ((double)hits + 0.5));
		d->idf[i] = idf > 0.0 ? idf : 1e-6; // as bm25: a phrase in over half the rows still counts a little
	}
	if (rc != SQLITE_OK) {
		sqlite3_free(d);
		return rc;
	}
	// On failure xSetAuxdata frees d itself.
	rc = api->xSetAuxdata(fts, d, sqlite3_free);
	if (rc != SQLITE_OK) return rc;
	*out = d;
	return SQLITE_OK;
}

static void folioBm25(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nVal,
                      sqlite3_value **vals) {
	const double k1 = 1.2, b = 0.75;
	rankData *d = 0;
	int rc = rankDataOf(api, fts, nVal, vals, &d);
	int columns = api->xColumnCount(fts);
	int inst = 0;
	if (rc == SQLITE_OK) {
		memset(d->freq, 0, sizeof(double) * (size_t)d->phrases);
		rc = api->xInstCount(fts, &inst);
	}
	for (int i = 0; rc == SQLITE_OK && i < inst; i++) {
		int phrase, column, offset;
		rc = api->xInst(fts, i, &phrase, &column, &offset);
		if (rc == SQLITE_OK) {
			d->freq[phrase] += (column < columns && column < nVal) ? sqlite3_value_double(vals[column]) : 1.0;
		}
	}
	int length = 0;
	if (rc == SQLITE_OK) rc = api->xColumnSize(fts, -1, &length);
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	double score = 0.0;
	for (int i = 0; i < d->phrases; i++) {
		double f = d->freq[i];
		score += d->idf[i] * (f * (k1 + 1.0)) / (f + k1 * (1.0 - b + b * (double)length / d->avgdl));
	}
	sqlite3_result_double(ctx, -1.0 * score);
}

// registerRank runs for every connection SQLite opens: it finds the connection's FTS5 and adds
// folio_bm25 to it. A build of SQLite without FTS5 (Go built without -tags sqlite_fts5) gets
// nothing, and no error here: the migrations then say that the fts5 module is missing.
static int registerRank(sqlite3 *db, const char **errmsg, const sqlite3_api_routines *api) {
	(void)errmsg;
	(void)api;
	fts5_api *fts5 = 0;
	sqlite3_stmt *stmt = 0;
	// Asked first, since a failed prepare would leave its error on the connection, and SQLite
	// fails an open whose automatic extensions leave one.
	if (!sqlite3_compileoption_used("ENABLE_FTS5")) return SQLITE_OK;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, 0) != SQLITE_OK) return SQLITE_OK;
	sqlite3_bind_pointer(stmt, 1, (void *)&fts5, "fts5_api_ptr", 0);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (!fts5 || fts5->iVersion < 2) return SQLITE_OK;
	return fts5->xCreateFunction(fts5, "folio_bm25", 0, folioBm25, 0);
}

int folioRegisterRank(void) {
	return sqlite3_auto_extension((void (*)(void))registerRank);
}
