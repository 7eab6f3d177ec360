//go:build !cgo

package storage

// walVFSRegistered reports false: without cgo there is no SQLite to
// register the VFS with (see walvfs.go).
func walVFSRegistered() bool { return false }
