using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Kbuild.IO;

/// <summary>A path that exists but is not a regular file (a FIFO, a device, a socket, a directory).</summary>
public sealed class NotRegularFileException(string path, string kind)
    : IOException($"'{path}' is {kind}, not a regular file")
{
    public string Kind { get; } = kind;
}

/// <summary>
/// Every file the build reads (link inputs, the linker script, what it keeps in obj/) is opened through here. Opening a
/// FIFO for reading waits for a writer — forever, in a build — and a device may never end, so the path is checked to be
/// a regular file (symlinks followed) before it is opened; statx(2) tells the type without opening anything. What is not
/// a regular file is a <see cref="NotRegularFileException"/>, an IOException each reader turns into its own KB error.
/// </summary>
public static class RegularFile
{
    public static SafeFileHandle OpenRead(string path)
    {
        Check(path);
        return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
    }

    public static byte[] ReadAllBytes(string path)
    {
        Check(path);
        return File.ReadAllBytes(path);
    }

    public static string ReadAllText(string path)
    {
        Check(path);
        return File.ReadAllText(path);
    }

    /// <summary>The first <paramref name="count"/> bytes of the file (fewer when it is shorter), to tell its format; none
    /// when it is not a regular file or cannot be read (whoever opens it next says why).</summary>
    public static byte[] Start(string path, int count)
    {
        var start = new byte[count];
        try
        {
            using var file = OpenRead(path);
            var read = 0;
            for (int n; read < count && (n = RandomAccess.Read(file, start.AsSpan(read), read)) > 0;) read += n;
            return start[..read];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Throws <see cref="NotRegularFileException"/> when <paramref name="path"/> exists and is not a regular file.
    /// A path statx cannot look at (missing, a symlink loop, no permission) passes: opening it says why it fails.</summary>
    public static void Check(string path)
    {
        if (KindOf(path) is { } kind) throw new NotRegularFileException(path, kind);
    }

    /// <summary>What is at <paramref name="path"/> when it is not a regular file ("a FIFO (named pipe)", …); null for a
    /// regular file or nothing statx can see.</summary>
    public static string? KindOf(string path)
    {
        var buffer = new byte[StatxSize];
        if (statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return null;
        return (BitConverter.ToUInt16(buffer, StatxModeOffset) & TypeMask) switch
        {
            RegularType => null,
            DirectoryType => "a directory",
            FifoType => "a FIFO (named pipe)",
            CharacterDeviceType or BlockDeviceType => "a device",
            SocketType => "a socket",
            _ => "not a file",
        };
    }

    // struct statx is the same on every architecture: 256 bytes, stx_mode (u16) at offset 28.
    private const int StatxSize = 256, StatxModeOffset = 28, AtFdCwd = -100;
    private const uint StatxType = 1;
    private const int TypeMask = 0xF000, RegularType = 0x8000, DirectoryType = 0x4000, FifoType = 0x1000,
        CharacterDeviceType = 0x2000, BlockDeviceType = 0x6000, SocketType = 0xC000;

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, string pathname, int flags, uint mask, byte[] statxbuf);
}
