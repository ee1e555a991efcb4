using Kbuild.IO;
using Kbuild.Diagnostics;
using Kbuild.Kernel;

namespace Kbuild.Table;

/// <summary>Assembles a kallsyms .S with the kernel's compiler driver (<c>$(CC) $(KBUILD_AFLAGS) -c</c>).</summary>
public static class KallsymsObjectAssembler
{
    /// <summary>
    /// The reservation's three files: its .S, the object assembled from it (the link input), and each array's
    /// room (the image records no sizes, as the kernel's table does not), for the patcher. With GNU as behind the
    /// compiler driver (not clang's integrated assembler, which lays symbols out its own way) an x86-64 object of
    /// <paramref name="machine"/> is written directly, the same bytes (<see cref="ReservationObjectWriter"/>). With
    /// <paramref name="key"/>, what the reservation was made from is recorded for the next build (written last, with the
    /// files' hashes; without, the hashes alone).
    /// </summary>
    public static void WriteReservation(Reservation reservation, string assembly, string output, string roomsFile,
        string compiler, string? flags, ToolProcess? tools = null, ushort machine = 0, string? key = null)
    {
        ReservationReuse.Forget(output);
        AtomicOutput.WriteAllText(assembly, reservation.ToAssembly());
        if (!compiler.Contains("clang", StringComparison.Ordinal) && ReservationObjectWriter.Supports(machine, reservation.Table))
            AtomicOutput.WriteAllBytes(output, ReservationObjectWriter.Write(reservation.Table, reservation.ReservedSizes));
        else
            Assemble(compiler, flags, assembly, output, tools);
        AtomicOutput.WriteAllText(roomsFile, reservation.Rooms.ToJson());
        ReservationReuse.Remember(output, roomsFile, key);
    }

    /// <param name="compiler">The compiler command, possibly with leading words (e.g. "ccache gcc").</param>
    public static void Assemble(string compiler, string? flags, string source, string output, ToolProcess? tools = null)
    {
        var command = ShellWords.CommandLine(compiler);
        if (command.Count == 0)
            throw new KbuildException(ErrorCodes.KallsymsAssemblyFailed, source, "Cc is empty; set it to the kernel's C compiler (gcc or clang).");
        AtomicOutput.Write(output, temp =>
        {
            var args = command.Skip(1).Concat(ShellWords.CommandLine(flags)).Concat(["-c", "-o", temp, source]).ToList();
            var r = (tools ?? ToolProcess.Quiet).Run(command[0], args);
            if (r.ExitCode != 0)
                throw new KbuildException(ErrorCodes.KallsymsAssemblyFailed, source,
                    $"'{string.Join(' ', args.Prepend(command[0]))}' exited with code {r.ExitCode}: {r.Output.Trim()}. " +
                    "Check Cc and KallsymsAFlags (e.g. -m32 for a 32-bit kernel).");
        });
    }
}
