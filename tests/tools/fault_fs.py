#!/usr/bin/env python3
"""A pass-through FUSE file system that fails writes on demand, for write-error tests.

  fault_fs.py BACKING_DIR MOUNTPOINT CONTROL_FILE

Mirrors BACKING_DIR at MOUNTPOINT (in the foreground, single-threaded; unmount to stop it). Before every
operation that changes something (create, open for writing, write, truncate, rename, unlink, mkdir, fsync),
it reads CONTROL_FILE: empty or missing means pass through; an errno name (EROFS, EIO, ENOSPC...) means
that operation fails with that error; an errno name followed by operation names ("EROFS rename",
"EIO create") fails only those. The kernel refuses `mount -o remount,ro` while a file is open for
writing (EBUSY), and device-mapper's error target is not available everywhere; this is how a test shows a
running writer a file system that has gone read-only or a disk that returns I/O errors, and then heals.

Needs python3-fusepy (Debian; module `fusepy`) and /dev/fuse.
"""
import errno
import os
import sys

try:
    import fusepy as fuse
except ImportError:
    sys.path.append("/usr/lib/python3/dist-packages")  # Debian's module when python3 is another build
    import fusepy as fuse


class FaultFs(fuse.Operations):
    def __init__(self, root, control):
        self.root, self.control = root, control

    def _p(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def _fault(self, op):
        try:
            words = open(self.control).read().split()
        except OSError:
            return
        if words and (len(words) == 1 or op in words[1:]):
            raise fuse.FuseOSError(getattr(errno, words[0]))

    # Reads pass through.
    def getattr(self, path, fh=None):
        st = os.lstat(self._p(path))
        return {k: getattr(st, k) for k in ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime",
                                            "st_nlink", "st_size", "st_uid")}

    def readdir(self, path, fh):
        return [".", ".."] + os.listdir(self._p(path))

    def statfs(self, path):
        st = os.statvfs(self._p(path))
        return {k: getattr(st, k) for k in ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail",
                                            "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")}

    def access(self, path, mode):
        if not os.access(self._p(path), mode):
            raise fuse.FuseOSError(errno.EACCES)

    def open(self, path, flags):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_TRUNC):
            self._fault("open")
        return os.open(self._p(path), flags)

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def release(self, path, fh):
        os.close(fh)

    def flush(self, path, fh):
        return 0

    def utimens(self, path, times=None):
        os.utime(self._p(path), times)

    def chmod(self, path, mode):
        self._fault("chmod")
        os.chmod(self._p(path), mode)

    def chown(self, path, uid, gid):
        self._fault("chown")
        os.chown(self._p(path), uid, gid)

    # Changes fail while CONTROL_FILE names an errno.
    def create(self, path, mode, fi=None):
        self._fault("create")
        return os.open(self._p(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)

    def write(self, path, data, offset, fh):
        self._fault("write")
        return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        self._fault("truncate")
        if fh is not None:
            os.ftruncate(fh, length)
        else:
            os.truncate(self._p(path), length)

    def fsync(self, path, datasync, fh):
        self._fault("fsync")
        os.fsync(fh)

    def fsyncdir(self, path, datasync, fh):
        return 0

    def rename(self, old, new):
        self._fault("rename")
        os.rename(self._p(old), self._p(new))

    def unlink(self, path):
        self._fault("unlink")
        os.unlink(self._p(path))

    def mkdir(self, path, mode):
        self._fault("mkdir")
        os.mkdir(self._p(path), mode)

    def rmdir(self, path):
        self._fault("rmdir")
        os.rmdir(self._p(path))


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    backing, mnt, control = sys.argv[1:]
    # big_writes: 128 KiB per request instead of 4 KiB; no writeback cache, so write() sees every error.
    fuse.FUSE(FaultFs(os.path.abspath(backing), os.path.abspath(control)), mnt, foreground=True,
              nothreads=True, big_writes=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
