package database

/*
#cgo LDFLAGS: -lm
int folioRegisterRank(void);
*/
import "C"

import "fmt"

// Every SQLite connection opened from here on has the FTS5 ranking function folio_bm25
// (rank.c): bm25, with the document frequencies of a query's words passed in.
func init() {
	if rc := C.folioRegisterRank(); rc != 0 {
		panic(fmt.Sprintf("database: register folio_bm25 with SQLite: error %d", int(rc)))
	}
}
