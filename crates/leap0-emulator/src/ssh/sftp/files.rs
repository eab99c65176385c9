//! The SFTP requests, answered from the file system as the emulator's user.

use std::collections::HashMap;
use std::io::{self, SeekFrom};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::PathBuf;

use russh_sftp::protocol::{
    Attrs, Data, File, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode, Version,
};
use russh_sftp::server::StatusReply;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use super::{bad_handle, io_error, normalize, set_attrs, status, Target};

/// `metadata` as SFTP attributes, with the file type as the file system gives it. russh-sftp's
/// own conversion marks everything that is not a directory as a regular file on top, which
/// turns a socket into a regular file and a device into a symlink.
fn attributes(metadata: &std::fs::Metadata) -> FileAttributes {
    let mut attrs = FileAttributes::from(metadata);
    attrs.permissions = Some(metadata.mode());
    attrs
}

/// A directory entry with its `ls -l` line, which OpenSSH's `ls -l` prints as it comes.
/// russh-sftp's line knows only directories and files, so the type letter is set here; it
/// still leaves out setuid, setgid and sticky bits and shows a link count of 0.
fn listed(name: String, metadata: &std::fs::Metadata) -> File {
    let mut file = File::new(name, attributes(metadata));
    let kind = metadata.file_type();
    let letter = match () {
        () if kind.is_symlink() => 'l',
        () if kind.is_dir() => 'd',
        () if kind.is_fifo() => 'p',
        () if kind.is_char_device() => 'c',
        () if kind.is_block_device() => 'b',
        () if kind.is_socket() => 's',
        () => '-',
    };
    let rest = file.longname.get(1..).unwrap_or_default();
    file.longname = format!("{letter}{rest}");
    file
}

/// The most one read answers with; OpenSSH asks for 32 KiB to 255 KiB at a time.
const MAX_READ: u32 = 256 * 1024;

enum Open {
    File(tokio::fs::File),
    /// A directory listing, handed out whole on the first read.
    Dir(Option<Vec<File>>),
}

pub(super) struct Sftp {
    dir: PathBuf,
    open: HashMap<String, Open>,
    next_handle: u64,
}

impl Sftp {
    pub(super) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            open: HashMap::new(),
            next_handle: 0,
        }
    }

    fn resolve(&self, path: &str) -> PathBuf {
        if path.is_empty() {
            self.dir.clone()
        } else {
            // `join` keeps an absolute path as it is.
            self.dir.join(path)
        }
    }

    fn add(&mut self, open: Open) -> String {
        self.next_handle += 1;
        let handle = self.next_handle.to_string();
        self.open.insert(handle.clone(), open);
        handle
    }

    fn file(&mut self, handle: &str) -> Result<&mut tokio::fs::File, StatusReply> {
        match self.open.get_mut(handle) {
            Some(Open::File(file)) => Ok(file),
            _ => Err(bad_handle()),
        }
    }
}

impl russh_sftp::server::Handler for Sftp {
    type Error = StatusReply;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported.into()
    }

    async fn init(
        &mut self,
        _version: u32,
        _extensions: HashMap<String, String>,
    ) -> Result<Version, Self::Error> {
        Ok(Version::new())
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        attrs: FileAttributes,
    ) -> Result<Handle, Self::Error> {
        let path = self.resolve(&filename);
        let mut options = std::fs::OpenOptions::from(pflags);
        if let Some(mode) = attrs.permissions {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode & 0o777);
        }
        let file = tokio::task::spawn_blocking(move || options.open(path))
            .await
            .map_err(io::Error::other)
            .and_then(|opened| opened)
            .map_err(io_error)?;
        let handle = self.add(Open::File(tokio::fs::File::from_std(file)));
        Ok(Handle { id, handle })
    }

    async fn close(&mut self, id: u32, handle: String) -> Result<Status, Self::Error> {
        match self.open.remove(&handle) {
            Some(Open::File(mut file)) => file.flush().await.map_err(io_error)?,
            Some(Open::Dir(_)) => {}
            None => return Err(bad_handle()),
        }
        Ok(status(id))
    }

    async fn read(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        len: u32,
    ) -> Result<Data, Self::Error> {
        let file = self.file(&handle)?;
        file.seek(SeekFrom::Start(offset)).await.map_err(io_error)?;
        let mut data = Vec::new();
        let mut limited = (&mut *file).take(u64::from(len.min(MAX_READ)));
        limited.read_to_end(&mut data).await.map_err(io_error)?;
        if data.is_empty() && len > 0 {
            return Err(StatusCode::Eof.into());
        }
        Ok(Data { id, data })
    }

    async fn write(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        data: Vec<u8>,
    ) -> Result<Status, Self::Error> {
        let file = self.file(&handle)?;
        file.seek(SeekFrom::Start(offset)).await.map_err(io_error)?;
        file.write_all(&data).await.map_err(io_error)?;
        Ok(status(id))
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let metadata = tokio::fs::symlink_metadata(self.resolve(&path))
            .await
            .map_err(io_error)?;
        Ok(Attrs {
            id,
            attrs: attributes(&metadata),
        })
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let metadata = tokio::fs::metadata(self.resolve(&path))
            .await
            .map_err(io_error)?;
        Ok(Attrs {
            id,
            attrs: attributes(&metadata),
        })
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, Self::Error> {
        let metadata = self.file(&handle)?.metadata().await.map_err(io_error)?;
        Ok(Attrs {
            id,
            attrs: attributes(&metadata),
        })
    }

    async fn setstat(
        &mut self,
        id: u32,
        path: String,
        attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        set_attrs(Target::Path(&self.resolve(&path)), &attrs)
            .await
            .map_err(io_error)?;
        Ok(status(id))
    }

    async fn fsetstat(
        &mut self,
        id: u32,
        handle: String,
        attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        let file = self.file(&handle)?;
        file.flush().await.map_err(io_error)?;
        set_attrs(Target::File(file), &attrs)
            .await
            .map_err(io_error)?;
        Ok(status(id))
    }

    async fn opendir(&mut self, id: u32, path: String) -> Result<Handle, Self::Error> {
        let mut entries = tokio::fs::read_dir(self.resolve(&path))
            .await
            .map_err(io_error)?;
        let mut files = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(io_error)? {
            let Ok(metadata) = entry.metadata().await else {
                // Removed between listing and looking; it is not there any more.
                continue;
            };
            let name = entry.file_name().to_string_lossy().into_owned();
            files.push(listed(name, &metadata));
        }
        let handle = self.add(Open::Dir(Some(files)));
        Ok(Handle { id, handle })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Result<Name, Self::Error> {
        match self.open.get_mut(&handle) {
            Some(Open::Dir(listing)) => match listing.take() {
                Some(files) => Ok(Name { id, files }),
                None => Err(StatusCode::Eof.into()),
            },
            _ => Err(bad_handle()),
        }
    }

    async fn remove(&mut self, id: u32, filename: String) -> Result<Status, Self::Error> {
        tokio::fs::remove_file(self.resolve(&filename))
            .await
            .map_err(io_error)?;
        Ok(status(id))
    }

    async fn mkdir(
        &mut self,
        id: u32,
        path: String,
        attrs: FileAttributes,
    ) -> Result<Status, Self::Error> {
        let path = self.resolve(&path);
        tokio::fs::create_dir(&path).await.map_err(io_error)?;
        if let Some(mode) = attrs.permissions {
            let permissions = std::fs::Permissions::from_mode(mode & 0o7777);
            tokio::fs::set_permissions(&path, permissions)
                .await
                .map_err(io_error)?;
        }
        Ok(status(id))
    }

    async fn rmdir(&mut self, id: u32, path: String) -> Result<Status, Self::Error> {
        tokio::fs::remove_dir(self.resolve(&path))
            .await
            .map_err(io_error)?;
        Ok(status(id))
    }

    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let path = self.resolve(&path);
        let real = match tokio::fs::canonicalize(&path).await {
            Ok(real) => real,
            Err(_) => normalize(&path),
        };
        let name = real.to_string_lossy().into_owned();
        Ok(Name {
            id,
            files: vec![File::dummy(name)],
        })
    }

    async fn rename(
        &mut self,
        id: u32,
        oldpath: String,
        newpath: String,
    ) -> Result<Status, Self::Error> {
        tokio::fs::rename(self.resolve(&oldpath), self.resolve(&newpath))
            .await
            .map_err(io_error)?;
        Ok(status(id))
    }

    async fn readlink(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let target = tokio::fs::read_link(self.resolve(&path))
            .await
            .map_err(io_error)?;
        Ok(Name {
            id,
            files: vec![File::dummy(target.to_string_lossy().into_owned())],
        })
    }

    async fn symlink(
        &mut self,
        id: u32,
        linkpath: String,
        targetpath: String,
    ) -> Result<Status, Self::Error> {
        // OpenSSH sends the two paths the other way round from the draft, and its server
        // reads them that way (target first); clients follow OpenSSH, so this does too.
        let (target, link) = (linkpath, targetpath);
        tokio::fs::symlink(target, self.resolve(&link))
            .await
            .map_err(io_error)?;
        Ok(status(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_say_what_kind_of_file_it_is() {
        let dir = std::env::temp_dir().join(format!("leap0-sftp-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("file"), "x").unwrap();
        let _ = std::fs::remove_file(dir.join("link"));
        std::os::unix::fs::symlink("file", dir.join("link")).unwrap();

        let first = |name: &str| {
            let metadata = std::fs::symlink_metadata(dir.join(name)).unwrap();
            listed(name.to_owned(), &metadata).longname.chars().next()
        };
        assert_eq!(first("link"), Some('l'));
        assert_eq!(first("file"), Some('-'));
        assert_eq!(first("."), Some('d'));
        std::fs::remove_dir_all(&dir).unwrap();
        // russh-sftp's own conversion turned a character device into a symlink.
        let null = std::fs::metadata("/dev/null").unwrap();
        assert_eq!(
            listed("null".into(), &null).longname.chars().next(),
            Some('c')
        );
        let mode = attributes(&null).permissions.unwrap_or(0);
        assert_eq!(mode & 0o170000, 0o020000, "{mode:o}");
    }
}
