using System.Text;

namespace Kbuild.Image;

/// <summary>
/// The final vmlinux link, argument for argument as scripts/link-vmlinux.sh runs it:
/// <c>ld KBUILD_LDFLAGS LDFLAGS_vmlinux -T script -o out --whole-archive objs --no-whole-archive
/// --start-group libs --end-group kallsyms.o</c>. Objects are wrapped in <c>--whole-archive</c> so an
/// archive such as vmlinux.a contributes every member (it does nothing to plain .o files).
/// </summary>
public sealed record LinkerCommand
{
    public required string Output { get; init; }
    /// <summary>The kernel's vmlinux.lds; null for a relocatable link (<c>-r</c> in the flags), which has none.</summary>
    public string? LinkerScript { get; init; }

    /// <summary>Objects and whole archives (vmlinux.a, .vmlinux.export.o, init/version-timestamp.o).</summary>
    public IReadOnlyList<string> Objects { get; init; } = [];

    /// <summary>Libraries searched as a group (KBUILD_VMLINUX_LIBS: lib/lib.a, arch/x86/lib/lib.a).</summary>
    public IReadOnlyList<string> Libraries { get; init; } = [];

    /// <summary>KBUILD_LDFLAGS, e.g. <c>-m elf_x86_64 -z noexecstack</c>.</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];

    /// <summary>LDFLAGS_vmlinux, e.g. <c>--build-id=sha1 --emit-relocs</c>.</summary>
    public IReadOnlyList<string> VmlinuxFlags { get; init; } = [];

    /// <summary>The assembled kallsyms table, linked last like the kernel's <c>$kallsymso</c>.</summary>
    public string? KallsymsObject { get; init; }

    /// <summary>The .BTF object (CONFIG_DEBUG_INFO_BTF), linked after the kallsyms object like link-vmlinux.sh's
    /// <c>$btf_vmlinux_bin_o</c>.</summary>
    public string? BtfObject { get; init; }

    public IReadOnlyList<string> Arguments()
    {
        var args = new List<string>();
        args.AddRange(Flags);
        args.AddRange(VmlinuxFlags);
        if (LinkerScript != null)
        {
            args.Add("-T");
            args.Add(LinkerScript);
        }
        args.Add("-o");
        args.Add(Output);
        args.Add("--whole-archive");
        args.AddRange(Objects);
        args.Add("--no-whole-archive");
        args.Add("--start-group");
        args.AddRange(Libraries);
        args.Add("--end-group");
        if (KallsymsObject != null) args.Add(KallsymsObject);
        if (BtfObject != null) args.Add(BtfObject);
        return args;
    }

    /// <summary>
    /// The arguments as a response file (<c>@file</c>), one per line. GNU ld (libiberty buildargv) and
    /// ld.lld (GNU tokenizer) both read a backslash as "take the next character literally", so escaping
    /// whitespace, quotes and backslashes that way keeps any path intact for either linker.
    /// </summary>
    public string ToResponseFile()
    {
        var text = new StringBuilder();
        foreach (var arg in Arguments()) text.Append(EscapeForResponseFile(arg)).Append('\n');
        return text.ToString();
    }

    public static string EscapeForResponseFile(string arg)
    {
        if (arg.Length == 0) return "''";
        var escaped = new StringBuilder(arg.Length);
        foreach (var c in arg)
        {
            if (char.IsWhiteSpace(c) || c is '\\' or '\'' or '"') escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}
