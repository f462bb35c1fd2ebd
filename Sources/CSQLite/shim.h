#ifndef CUSTODY_CSQLITE_SHIM_H
#define CUSTODY_CSQLITE_SHIM_H
#include <sqlite3.h>

/* SQLITE_TRANSIENT and SQLITE_STATIC are casts Swift cannot import. */
static inline sqlite3_destructor_type custody_sqlite_transient(void) { return SQLITE_TRANSIENT; }
static inline sqlite3_destructor_type custody_sqlite_static(void) { return SQLITE_STATIC; }
#endif
