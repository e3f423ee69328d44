package database

/*
#cgo LDFLAGS: -lm
int sqlite3_config(int, ...);
#define SQLITE_CONFIG_MEMSTATUS 9
static int folioMemstatusOff(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
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
	// Every connection opened from here on has the FTS5 ranking function folio_bm25 (rank.c):
	// bm25, with the document frequencies of a query's words passed in.
	if rc := C.folioRegisterRank(); rc != 0 {
		panic(fmt.Sprintf("database: register folio_bm25 with SQLite: error %d", int(rc)))
	}
}
