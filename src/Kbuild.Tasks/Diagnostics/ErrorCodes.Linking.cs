namespace Kbuild.Diagnostics;

public static partial class ErrorCodes
{
    /// <summary>The linker script cannot be read: point VmlinuxLinkerScript at the preprocessed vmlinux.lds.</summary>
    public const string LinkerScriptUnreadable = "KB0301";

    /// <summary>A link input (object, archive, library) does not exist: build it first or fix the item path.</summary>
    public const string LinkInputMissing = "KB0302";

    /// <summary>The linker reported an error (undefined symbol, bad input, script error); the message is the linker's.</summary>
    public const string LinkerError = "KB0303";

    /// <summary>The linker reported a warning; the message is the linker's.</summary>
    public const string LinkerWarning = "KB0304";

    /// <summary>The linker exited with a failure status; the errors above say why. The previous output is untouched.</summary>
    public const string LinkerFailed = "KB0305";

    /// <summary>The linker could not be started: set Ld to a linker on PATH or a full path (ld, ld.bfd, ld.lld).</summary>
    public const string LinkerNotFound = "KB0306";
}
