package database

/*
#cgo LDFLAGS: -lm
typedef struct sqlite3 sqlite3;
int sqlite3_config(int, ...);
int sqlite3_db_config(sqlite3 *, int, ...);
int sqlite3_auto_extension(void (*)(void));
#define SQLITE_CONFIG_MEMSTATUS 9
#define SQLITE_DBCONFIG_ENABLE_QPSG 1007
static int folioMemstatusOff(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
static int folioStablePlans(sqlite3 *db, const char **errmsg, const void *api) {
	(void)errmsg;
	(void)api;
	return sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}
static int folioRegisterStablePlans(void) {
	return sqlite3_auto_extension((void (*)(void))folioStablePlans);
}
int folioRegisterRank(void);
*/
import "C"

import "fmt"

// SQLite's settings for the whole process, made once, before its first use: sqlite3_config
// refuses them afterwards, and registering folio_bm25 is a use.
func init() {
	// No memory statistics. With them SQLite takes one process-wide mutex on every allocation
	// and free, so that the read connections of a busy server queue for it, each time they
	// read a page or a row. Without them (make bench, 100,000 items, two runs each way): varied
	// list pages 25-33% more a second, searches 23-34%, items by slug 4-12%. Folio reads none
	// of the statistics; SQLite recommends the setting to applications that do not.
	if rc := C.folioMemstatusOff(); rc != 0 {
		panic(fmt.Sprintf("database: configure SQLite: error %d", int(rc)))
	}
	// Every connection opened from here on plans a statement once, whatever values are bound
	// to it (SQLite's query planner stability guarantee). Without it SQLite prepares a
	// statement again on every run whose plan might depend on a bound value, and it judged
	// so of the read of an item by slug (a join with users): 50 µs a read instead of 16,
	// measured through the driver on the benchmark's database, and 17% of the server's CPU
	// in make bench's scenario (a) (perf). What it gives up, a plan made for the values
	// bound, Folio's queries do not rely on: the conditions that choose an index write their
	// constants into the SQL. TestOpenConfiguresEveryConnection checks the setting on every
	// connection; content's TestListQueriesUseIndexes plans the lists with their values bound.
	if rc := C.folioRegisterStablePlans(); rc != 0 {
		panic(fmt.Sprintf("database: configure SQLite connections: error %d", int(rc)))
	}
	// Every connection opened from here on has the FTS5 ranking function folio_bm25 (rank.c):
	// bm25, with the document frequencies of a query's words passed in.
	if rc := C.folioRegisterRank(); rc != 0 {
		panic(fmt.Sprintf("database: register folio_bm25 with SQLite: error %d", int(rc)))
	}
}
