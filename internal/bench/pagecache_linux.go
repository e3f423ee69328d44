package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropFromPageCache asks the kernel to forget the pages of a range of a file that is only read
// (length 0: to its end). The run does not read it again, so the memory goes to files it does.
func dropFromPageCache(f *os.File, offset, length int64) error {
	return unix.Fadvise(int(f.Fd()), offset, length, unix.FADV_DONTNEED)
}
