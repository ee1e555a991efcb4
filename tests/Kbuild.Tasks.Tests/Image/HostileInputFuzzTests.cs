using Kbuild.Kernel;
using System.Text;
using Kbuild.Elf;
using Kbuild.Image;
using Kbuild.Inputs;
using Kbuild.Outputs;
using Kbuild.Symbols;
using Kbuild.Table;
using Kbuild.Diagnostics;

namespace Kbuild.Tests.Image;

/// <summary>
/// Bounded mutation fuzzing of every reader of untrusted input: ELF objects and a linked image (ELF reader, nm,
/// kallsyms decoder, System.map writer, the patcher), regular and thin archives, linker scripts, System.map text.
/// The seeds are real: objects gcc compiles here, archives ar builds, the SDK's linker scripts, an image ld links
/// with a kallsyms reservation. Each mutated input must be read or refused with a KbuildException — no other
/// exception, no hang, no allocation far beyond the input's size (a count of 2^32 must not become an array).
/// Budget: KBUILD_FUZZ_SECONDS in all (default 60, split over the targets); seed: KBUILD_FUZZ_SEED (default
/// fixed, so CI runs are reproducible; a failure names the seed and iteration to replay).
/// </summary>
[TestClass]
public sealed class HostileInputFuzzTests
{
    private static TempTree _tree = null!;
    private static ReservationRooms? _rooms;
    private static Corpus _corpus = null!;

    private sealed record Corpus(byte[] Object, byte[] Image, byte[] PatchedImage, byte[] Archive, byte[] ThinArchive,
        string[] Scripts, string SystemMapText);

    private static TimeSpan Budget => TimeSpan.FromSeconds(
        (int.TryParse(Environment.GetEnvironmentVariable("KBUILD_FUZZ_SECONDS"), out var s) ? s : 60) / 5.0);

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("KBUILD_FUZZ_SEED"), out var s) ? s : 12;

    [ClassInitialize]
    public static void BuildCorpus(TestContext _)
    {
        _tree = new TempTree();
        const string flags = "-O2 -ffreestanding -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables";
        var a = _tree.Compile("a.o", "int counter; static int helper(int x) { return x * 3 + counter; }\n" +
            "int util_add(int, int); void _start(void) { counter = helper(util_add(1, 2)); for (;;) ; }", flags.Split(' '));
        var b = _tree.Compile("b.o", "const char banner[] = \"fuzz\"; int table[16] = { 1 }; long jiffies_64; int util_add(int x, int y) { return x + y; }", flags.Split(' '));
        _tree.Run("ar", "rcs", "lib.a", "a.o", "b.o");
        _tree.Run("ar", "rcsT", "thin.a", "a.o", "b.o");

        var root = RepoPaths.Root;
        var script = File.ReadAllText(Path.Combine(root, "samples", "minikernel", "minikernel.lds"));
        var lds = _tree.Write("kernel.lds", script);

        // A linked image with a kallsyms reservation, the way ReserveKallsyms and LinkVmlinux make one.
        var layout = KernelSeries.For("6.12").Kallsyms;
        var options = new KallsymsOptions { AllSymbols = true };
        var filter = SystemMapFilter.ForKernel("6.12");
        var superset = LinkPrediction.SystemMapSymbols([a, b], [], lds, layout.ArraySymbolNames(options.BaseRelative), !options.AllSymbols, filter);
        var reservation = Reservation.Create(superset, layout, options, KallsymsTarget.X86_64, new ReservationSlack(2, 64));
        _rooms = reservation.Rooms;
        var source = _tree.Write("kallsyms.reserve.S", reservation.ToAssembly());
        KallsymsObjectAssembler.Assemble("gcc", "", source, _tree.PathOf("kallsyms.reserve.o"));
        var image = _tree.PathOf("vmlinux.unpatched");
        var link = new LinkerCommand
        {
            Output = image, LinkerScript = lds, Objects = [a, b], Flags = ["-m", "elf_x86_64", "-z", "noexecstack"],
            KallsymsObject = _tree.PathOf("kallsyms.reserve.o"),
        };
        _tree.Run("ld", [.. link.Arguments()]);
        var patched = _tree.PathOf("vmlinux");
        // The patch works in place: on a copy, so the corpus keeps the linked image too.
        File.Copy(image, patched + ".linked");
        Patch(patched + ".linked", patched);

        _corpus = new Corpus(File.ReadAllBytes(a), File.ReadAllBytes(image), File.ReadAllBytes(patched),
            File.ReadAllBytes(_tree.PathOf("lib.a")), File.ReadAllBytes(_tree.PathOf("thin.a")),
            [script, File.ReadAllText(Path.Combine(root, "tests", "Kbuild.Tasks.Tests", "Image", "kernel-like.lds"))],
            Encoding.Latin1.GetString(SystemMapWriterRender(patched)));
    }

    [ClassCleanup]
    public static void Cleanup() => _tree?.Dispose();

    [TestMethod]
    public void ElfReaders_ObjectAndLinkedImage() => Fuzz("elf", iteration =>
    {
        var input = iteration.Random.Next(3) switch { 0 => _corpus.Object, 1 => _corpus.Image, _ => _corpus.PatchedImage };
        var path = iteration.WriteMutated(input);
        using var image = ElfImage.Open(path);
        _ = NmReader.ReadSorted(image);
        foreach (var section in image.Sections.Where(s => s.Type is ElfSection.SHT_RELA)) _ = image.ReadRelocations(section);
        _ = SystemMapWriter.Render(image, SystemMapFilter.ForKernel("6.12"));
        _ = KallsymsDecoder.Decode(image);
    });

    [TestMethod]
    public void Patcher_LinkedImage() => Fuzz("patch", iteration =>
    {
        var path = iteration.WriteMutated(_corpus.Image);
        Patch(path, path + ".out");
    });

    [TestMethod]
    public void ArchiveReader_RegularAndThin() => Fuzz("archive", iteration =>
    {
        var thin = iteration.Random.Next(2) == 0;
        // Thin members are resolved beside the archive: the mutated archive lives with the real objects.
        var path = iteration.WriteMutated(thin ? _corpus.ThinArchive : _corpus.Archive, _tree.Root);
        try
        {
            LinkInputReader.Read(path);
        }
        finally
        {
            File.Delete(path);
        }
    });

    [TestMethod]
    public void LinkerScriptReaders() => Fuzz("script", iteration =>
    {
        var script = iteration.MutateText(_corpus.Scripts[iteration.Random.Next(_corpus.Scripts.Length)], "(){}[]*?!^;=\"/:,\n ");
        var layout = LinkerScriptLayout.Parse(script);
        _ = layout.RuleFor("a.o", ".text");
        _ = layout.RuleFor("lib.a(b.o)", ".exit.text");
    });

    [TestMethod]
    public void SystemMapReader() => Fuzz("sysmap", iteration =>
    {
        var text = iteration.MutateText(_corpus.SystemMapText, "0123456789abcdefTtDdRrBbUuWwAaVv \n\t\0\xff-x");
        _ = SystemMap.Parse(new StringReader(text), "System.map");
    });

    private static void Patch(string image, string output) =>
        KallsymsPatcher.Run(new KallsymsPatchRequest(image, KallsymsRules.For("6.12", new KallsymsOptions { AllSymbols = true }), _rooms!, output)
        {
            LinkerFlags = ["--build-id=sha1"],
        });

    private static byte[] SystemMapWriterRender(string path)
    {
        using var image = ElfImage.Open(path);
        return SystemMapWriter.Render(image, SystemMapFilter.ForKernel("6.12"));
    }

    private static void Fuzz(string target, Action<Iteration> read)
    {
        var dir = TestTemp.Directory($"kbuild-fuzz-{target}-");
        var failures = new List<string>();
        var iterations = 0;
        var refused = 0;
        var deadline = DateTime.UtcNow + Budget;
        try
        {
            while (DateTime.UtcNow < deadline && failures.Count < 5)
            {
                var seed = HashCode.Combine(Seed, target, iterations++);
                var iteration = new Iteration(seed, dir);
                var allocatedBefore = GC.GetTotalAllocatedBytes();
                var run = Task.Run(() => read(iteration));
                string? failure = null;
                try
                {
                    if (!run.Wait(TimeSpan.FromSeconds(20))) failure = "no result after 20 s (a hang or unbounded loop)";
                }
                catch (AggregateException e) when (e.InnerException is KbuildException)
                {
                    refused++;
                }
                catch (AggregateException e)
                {
                    failure = e.InnerException!.ToString();
                }
                var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
                if (failure == null && allocated > 512L << 20) failure = $"allocated {allocated >> 20} MiB for one input";
                if (failure != null)
                    failures.Add($"KBUILD_FUZZ_SEED={Seed} {target} iteration {iterations - 1} (seed {seed}; {string.Join(", ", iteration.Mutations)}): {failure}");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Console.WriteLine($"{target}: {iterations} inputs, {refused} refused with a KB error, {failures.Count} failures");
        Assert.IsTrue(iterations > 20, $"{target}: only {iterations} inputs in {Budget}");
        Assert.AreEqual(0, failures.Count, string.Join("\n\n", failures));
    }
}
