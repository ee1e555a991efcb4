namespace Kbuild.Diagnostics;

// Codes the SDK's targets report with MSBuild's <Error> task (src/Kbuild.Sdk/Sdk/Sdk.targets); declared here
// so the catalogue (docs/errors.md) and its test know them.
public static partial class ErrorCodes
{
    /// <summary>VmlinuxLinkerScript is not set: set it to the preprocessed linker script (arch/&lt;arch&gt;/kernel/vmlinux.lds).</summary>
    public const string SdkLinkerScriptNotSet = "KB0501";

    /// <summary>VmlinuxLinkerScript names a file that does not exist: build it first or fix the property.</summary>
    public const string SdkLinkerScriptMissing = "KB0502";

    /// <summary>The project has no VmlinuxObject items: add the objects and archives to link.</summary>
    public const string SdkNoObjects = "KB0503";

    /// <summary>A VmlinuxObject or VmlinuxLibrary item names a file that does not exist: build it first or fix the item.</summary>
    public const string SdkLinkInputMissing = "KB0504";

    /// <summary>KernelTreeBtfFrom is neither LinkInputs nor Image: set it to one of them (or leave it unset).</summary>
    public const string SdkBtfSourceUnknown = "KB0505";

    /// <summary>A task was not given what its job needs: ReserveKallsyms From=LinkedImage without LinkedImage, From=LinkInputs
    /// without Objects, or a From that is neither. Sdk.targets passes them; a target of your own that calls the task must too.</summary>
    public const string TaskParameterMissing = "KB0506";

    /// <summary>Another build of the same output (obj/ or the kernel build directory) held its lock for longer
    /// than KbuildLockTimeoutSeconds: wait for it to finish, or raise the timeout. Two builds at once would corrupt the outputs.</summary>
    public const string BuildLockTimeout = "KB0520";

    /// <summary>The build's lock file (obj/.kbuild.lock, and &lt;KernelBuildDir&gt;/.kbuild-sdk.lock in kernel-tree mode) cannot be
    /// created or written: a directory or a FIFO in its place, a read-only directory, a full disk. Remove what is in its
    /// place, or fix the directory's permissions or the disk's space.</summary>
    public const string BuildLockUnusable = "KB0525";

    /// <summary>The build was cancelled (Ctrl-C or the IDE's cancel); the tool it ran was stopped, and the
    /// previous outputs were left in place.</summary>
    public const string BuildCancelled = "KB0521";

    /// <summary>An external tool (make, the compiler, ld, sh) could not be started: install the Debian package
    /// the message names, or put the tool on PATH.</summary>
    public const string ToolCannotStart = "KB0522";

    /// <summary>An error an external tool (the kernel's make, the compiler) printed as <c>file:line: error:</c>,
    /// passed on with its file and line: fix it there.</summary>
    public const string ToolError = "KB0523";

    /// <summary>A warning an external tool printed as <c>file:line: warning:</c>, passed on with its file and line.</summary>
    public const string ToolWarning = "KB0524";
}
