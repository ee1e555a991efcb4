namespace Kbuild.Diagnostics;

/// <summary>
/// Every user-facing error and warning code. Ranges by area so each folder owns its own block:
/// KB00xx input files and ELF, KB01xx archives, KB02xx kallsyms, KB03xx linking and patching,
/// KB04xx kernel tree, KB05xx SDK and task parameters. docs/errors.md explains each one.
/// Each area declares its codes in its own partial file (ErrorCodes.Area.cs).
/// </summary>
public static partial class ErrorCodes
{
}
