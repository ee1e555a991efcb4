using Kbuild.Tests;
using Kbuild.Symbols;
using Kbuild.Table;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// A tiny freestanding "kernel" in a temp directory: C objects compiled here with gcc, a library archive,
/// a linker script shaped like the kernel's (_text/_stext/_etext, .rodata, PROVIDE) and a kernel.kproj
/// that imports the SDK from this repository's source.
/// </summary>
public sealed class SyntheticKernel : IDisposable
{
    public const string CFlags = "-O2 -ffreestanding -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin";

    public const string LinkerScriptText = """
        OUTPUT_FORMAT("elf64-x86-64")
        ENTRY(_start)
        SECTIONS
        {
            . = 0x400000 + SIZEOF_HEADERS;
            .text : {
                _text = .;
                _stext = .;
                *(.text .text.*)
                _etext = .;
            }
            . = ALIGN(0x1000);
            .rodata : {
                __start_rodata = .;
                *(.rodata .rodata.*)
                __end_rodata = .;
            }
            .notes : { *(.note.*) }
            . = ALIGN(0x1000);
            .data : {
                _sdata = .;
                *(.data .data.*)
                _edata = .;
            }
            .bss : {
                __bss_start = .;
                *(.bss .bss.*)
                *(COMMON)
                __bss_stop = .;
            }
            _end = .;
            PROVIDE(__provided_unused = .);
            /DISCARD/ : { *(.eh_frame) *(.comment) *(.note.GNU-stack) }
        }
        """;

    /// <param name="directoryName">A name for the project directory (inside a fresh temp directory), e.g. one with spaces.</param>
    /// <param name="sdkRoot">A copy of this repository to import the SDK (and build its tasks) from.</param>
    public SyntheticKernel(string? extraProjectBody = null, string? directoryName = null, string? sdkRoot = null)
    {
        sdkRoot ??= RepoPaths.Root;
        Dir = _root = Directory.CreateTempSubdirectory("kbuild-sdk-").FullName;
        if (directoryName != null) Dir = Directory.CreateDirectory(Path.Combine(Dir, directoryName)).FullName;
        Write("start.c", """
            int counter;
            int util_add(int a, int b);
            static int helper(int x) { return x * 3 + counter; }
            void _start(void) { counter = helper(util_add(1, 2)); for (;;) ; }
            """);
        Write("data.c", """
            const char banner[] = "synthetic kernel";
            int table[16] = { 1 };
            static int local_data = 5;
            int get_local(void) { return local_data + table[2]; }
            """);
        Write("lib/util.c", """
            int util_add(int a, int b) { return a + b; }
            int util_unused(void) { return 7; }
            """);
        Compile("start.c");
        Compile("data.c");
        Compile("lib/util.c");
        Tool.RunChecked("ar", ["rcs", "lib/lib.a", "lib/util.o"], Dir);
        Write("kernel.lds", LinkerScriptText);
        Write("kernel.kproj", $"""
            <Project>
              <Import Project="{sdkRoot}/src/Kbuild.Sdk/Sdk/Sdk.props" />
              <PropertyGroup>
                <KernelVersion>6.12</KernelVersion>
                <VmlinuxLinkerScript>kernel.lds</VmlinuxLinkerScript>
                <LdFlags>-m elf_x86_64 -z noexecstack</LdFlags>
                <LdFlagsVmlinux>--build-id=sha1</LdFlagsVmlinux>
                <KallsymsAllSymbols>true</KallsymsAllSymbols>
              </PropertyGroup>
              <ItemGroup>
                <VmlinuxObject Include="start.o;data.o" />
                <VmlinuxObject Include="$(ExtraObjects)" Condition="'$(ExtraObjects)' != ''" />
                <VmlinuxLibrary Include="$(TestLibrary)" Condition="'$(TestLibrary)' != ''" />
                <VmlinuxLibrary Include="lib/lib.a" Condition="'$(TestLibrary)' == ''" />
              </ItemGroup>
              {extraProjectBody}
              <Import Project="{sdkRoot}/src/Kbuild.Sdk/Sdk/Sdk.targets" />
              <!-- Test hooks: a post-link step that leaves a mark; killing the build process right after a target. -->
              <Target Name="TestPostLink">
                <Exec Command="printf POSTLINK >> '$(VmlinuxStagingPath)'" />
              </Target>
              <Target Name="_TestKill" AfterTargets="$(TestKillAfter)" Condition="'$(TestKillAfter)' != ''">
                <!-- KILL (the default) ends the build on the spot; INT is Ctrl-C: MSBuild cancels this Exec's wait. -->
                <Exec Command="kill -INT $PPID; sleep 30" Condition="'$(TestKillSignal)' == 'INT'" />
                <Exec Command="kill -9 $PPID" Condition="'$(TestKillSignal)' != 'INT'" />
              </Target>
            </Project>
            """);
    }

    private readonly string _root;

    public string Dir { get; }
    public string Project => Path.Combine(Dir, "kernel.kproj");
    public string Vmlinux => Path.Combine(Dir, "out", "vmlinux");
    public string SystemMap => Path.Combine(Dir, "out", "System.map");
    public string ReservationObject => Path.Combine(Dir, "obj", "kallsyms.reserve.o");


    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Dir, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.Replace("\r\n", "\n") + "\n");
        return path;
    }

    /// <summary>Compiles x.c to x.o beside it.</summary>
    public void Compile(string source, string extraFlags = "") =>
        Tool.RunChecked("gcc", [.. $"{CFlags} {extraFlags}".Split(' ', StringSplitOptions.RemoveEmptyEntries),
            "-c", "-o", Path.ChangeExtension(source, ".o"), source], Dir);

    /// <summary>Makes a file newer than every output (file systems with coarse timestamps included).</summary>
    public void Touch(string relativePath) =>
        File.SetLastWriteTimeUtc(Path.Combine(Dir, relativePath), DateTime.UtcNow.AddSeconds(2));

    public BuildOutcome Build(IDictionary<string, string>? properties = null, string target = "Build") =>
        BuildRunner.Build(Project, target, properties);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
