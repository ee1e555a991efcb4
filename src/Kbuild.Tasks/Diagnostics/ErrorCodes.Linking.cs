namespace Kbuild.Diagnostics;

public static partial class ErrorCodes
{
    /// <summary>Compiling an LLVM bitcode link input to a native object for the kallsyms prediction (<c>$(Ld) $(LdFlags) -r</c>)
    /// failed: the message is the linker's; check Ld and LdFlags.</summary>
    public const string BitcodeStandInFailed = "KB0360";

    /// <summary>The linker script cannot be read: point VmlinuxLinkerScript at the preprocessed vmlinux.lds.</summary>
    public const string LinkerScriptUnreadable = "KB0301";

    /// <summary>The linker reported an error (undefined symbol, bad input, script error); the message is the linker's.</summary>
    public const string LinkerError = "KB0303";

    /// <summary>The linker reported a warning; the message is the linker's.</summary>
    public const string LinkerWarning = "KB0304";

    /// <summary>The linker exited with a failure status; the errors above say why. The previous output is untouched.</summary>
    public const string LinkerFailed = "KB0305";

    /// <summary>The linker could not be started: set Ld to a linker on PATH or a full path (ld, ld.bfd, ld.lld).</summary>
    public const string LinkerNotFound = "KB0306";

    /// <summary>The link inputs mix 32- and 64-bit ELF objects: rebuild the odd one for the kernel's architecture.</summary>
    public const string LinkInputsMixedClasses = "KB0307";

    /// <summary>The linked image has no reserved kallsyms arrays (missing kallsyms_* symbols or no reserved size): link it with the reservation object.</summary>
    public const string KallsymsReservationMissing = "KB0308";

    /// <summary>Warning: the real kallsyms table is larger than its reservation; the SDK relinks once with a reservation sized from the real symbols.</summary>
    public const string KallsymsReservationOverflow = "KB0309";

    /// <summary>The patched table does not decode to the final symbols: the patch was not applied; report a bug with the image attached.</summary>
    public const string KallsymsVerifyFailed = "KB0310";

    /// <summary>A relocation on the kallsyms table uses a symbol table the patcher cannot read (only .symtab and symbol 0 are supported).</summary>
    public const string KallsymsRelocationUnsupported = "KB0311";

    /// <summary>Assembling the kallsyms table with $(Cc) -c failed: check Cc and KallsymsAFlags (e.g. -m32 for a 32-bit kernel).</summary>
    public const string KallsymsAssemblyFailed = "KB0312";

    /// <summary>Warning: the predicted kallsyms table differs in size from the real one, so the image would not have the kernel's layout; the SDK relinks once with an exact reservation (KallsymsSlackPercent above 0 pads instead).</summary>
    public const string KallsymsPredictionMissed = "KB0380";

    /// <summary>The linker script is malformed (a bracket never closed, a wildcard no matcher accepts): ld would
    /// reject it too; fix or regenerate the script.</summary>
    public const string LinkerScriptInvalid = "KB0320";
}
