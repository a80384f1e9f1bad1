package io.arenaalloc.stats;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

/**
 * {@code arena-stat}: attaches to the counters file of a running process (see {@link ArenaStatsExporter}) and
 * prints its arenas' figures, and its allocators' figures, as tables that refresh every second, in the manner of
 * Aeron's AeronStat.
 *
 * <h2>Vocabulary</h2>
 * <b>round</b>: one read of the file and one screen. <b>liveness</b>: running, stale, closed or exited (see
 * {@link StatsFileReader#liveness(long)}). File layout: {@link StatsFile}.
 *
 * <h2>Usage</h2>
 * <pre>
 *   java -jar arena-stats-&lt;version&gt;-cli.jar [FILE] [--once] [-n COUNT] [-i MS] [-a REGEX]... [-f REGEX]
 *                                               [--all-classes] [--no-total] [--heap-map] [--list] [--dir DIR]
 *   (or: java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp &lt;classpath&gt; io.arenaalloc.stats.ArenaStatTool ...)
 * </pre>
 * Without FILE it looks in {@code --dir} (default {@code java.io.tmpdir}) for {@code arena-stats-*.dat} files
 * and takes the only one whose process runs.
 *
 * <h2>Screen layout</h2>
 * <pre>
 *   12:00:01 arena-stat - /tmp/arena-stats-4242.dat (layout v2)
 *   pid 4242 (com.example.Main), up 5 min 12 s, 2 arenas, 1 allocator, 312 publishes
 *   status: process 4242 is running, last heartbeat 0.3 s ago
 *   ==========================================================
 *   &lt;the table of StatsFormat#table: one row per figure, one column per arena, then the total&gt;
 *   --------------------------------------------------------------      &lt;- only when an allocator is exported
 *   &lt;the table of StatsFormat#allocatorTable: one row per allocator figure, one column per allocator, then the
 *    total when there are two or more&gt;
 *   --
 * </pre>
 * An allocator's arenas are columns of the first table like any other, named {@code "<allocator>/arena-<id>"};
 * {@code --arena} selects arenas only, {@code --figure} filters the rows of both tables.
 *
 * <h2>Exit status</h2>
 * {@value #EXIT_OK}: the process runs (a stale heartbeat is only a warning); {@value #EXIT_ERROR}: no usable file
 * (missing, not an arena-stats file, another version, bad options); {@value #EXIT_NOT_RUNNING}: the process has
 * exited or closed its stats (the last figures are still printed).
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>Find and open the file ({@link StatsFileReader#open}); on failure print its message and exit 1.</li>
 *   <li>With {@code --heap-map}: ask the process for heap maps of its lone arenas (an allocator's arenas have no
 *   owner-side publish to write one), wait for them, print their paths, exit.</li>
 *   <li>Each round: clear the screen (not with {@code --once}), print the header and liveness, read the figures,
 *   filter arenas and figures, add the total, print the table; then the allocator table, if any.</li>
 *   <li>Stop after {@code --once}, after {@code --count} rounds, or when the process is no longer running
 *   (exit 2); else sleep {@code --interval} ms and repeat.</li>
 * </ol>
 */
@Command(name = "arena-stat", mixinStandardHelpOptions = true, version = "arena-stat (layout v" + StatsFile.LAYOUT_VERSION + ")",
    description = "Prints the arena figures a running process exports (ArenaStatsExporter), refreshing every second.")
public final class ArenaStatTool implements Callable<Integer>
{
    public static final int EXIT_OK = 0;
    public static final int EXIT_ERROR = 1;
    public static final int EXIT_NOT_RUNNING = 2;
    public static final long DEFAULT_INTERVAL_MILLIS = 1000;
    public static final long DEFAULT_HEAP_MAP_TIMEOUT_MILLIS = 10_000;

    private static final String ANSI_CLEAR = "\u001b[H\u001b[2J";

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
        description = "The counters file. Default: the only live arena-stats-*.dat file in --dir.")
    private Path file;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where to look for counters files. Default: java.io.tmpdir.")
    private Path dir;

    @Option(names = "--once", description = "Print once, without clearing the screen, and exit.")
    private boolean once;

    @Option(names = {"-n", "--count"}, paramLabel = "COUNT", description = "Stop after COUNT rounds (0: never). Default 0.")
    private int count;

    @Option(names = {"-i", "--interval"}, paramLabel = "MS", description = "Milliseconds between rounds. Default 1000.")
    private long intervalMillis = DEFAULT_INTERVAL_MILLIS;

    @Option(names = {"-a", "--arena"}, paramLabel = "REGEX",
        description = "Only arenas whose name or id matches (find); repeatable.")
    private List<Pattern> arenaFilters = new ArrayList<>();

    @Option(names = {"-f", "--figure"}, paramLabel = "REGEX", description = "Only figures whose name matches (find).")
    private Pattern figureFilter;

    @Option(names = "--all-classes", description = "Show every size class, not only those with slabs.")
    private boolean allClasses;

    @Option(names = "--no-total", description = "Leave out the total column.")
    private boolean noTotal;

    @Option(names = "--heap-map", description = "Ask the process to write a PNG heap map of each arena beside FILE, " +
        "wait for them (see --timeout), print their paths and exit.")
    private boolean heapMap;

    @Option(names = "--timeout", paramLabel = "MS", description = "How long --heap-map waits. Default 10000.")
    private long heapMapTimeoutMillis = DEFAULT_HEAP_MAP_TIMEOUT_MILLIS;

    @Option(names = "--list", description = "List the counters files in --dir with the state of their processes.")
    private boolean list;

    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new ArenaStatTool()).execute(args));
    }

    @Override
    public Integer call() throws Exception
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        if (intervalMillis < 10 || count < 0 || heapMapTimeoutMillis < 0)
        {
            err.println("arena-stat: --interval=" + intervalMillis + " --count=" + count + " --timeout=" +
                heapMapTimeoutMillis + ", expected an interval >= 10 ms, a count >= 0 and a timeout >= 0");
            return EXIT_ERROR;
        }
        final Path directory = dir != null ? dir : Paths.get(System.getProperty("java.io.tmpdir"));
        if (list)
        {
            return list(directory, out, err);
        }
        final Path target;
        try
        {
            target = file != null ? file : discover(directory);
        }
        catch (final StatsFileException ex)
        {
            err.println("arena-stat: " + ex.getMessage());
            return EXIT_ERROR;
        }
        final StatsFileReader reader;
        try
        {
            reader = StatsFileReader.open(target, heapMap, StatsFileReader.DEFAULT_INIT_TIMEOUT_MILLIS);
        }
        catch (final StatsFileException ex)
        {
            err.println("arena-stat: " + ex.getMessage());
            return EXIT_ERROR;
        }
        try
        {
            return heapMap ? heapMaps(reader, out, err) : watch(reader, out, err);
        }
        finally
        {
            reader.close();
        }
    }

    private int watch(final StatsFileReader reader, final PrintWriter out, final PrintWriter err)
        throws InterruptedException
    {
        final int rounds = once ? 1 : count;
        for (int round = 1; ; round++)
        {
            final long now = System.currentTimeMillis();
            final StatsFileReader.Liveness liveness = reader.liveness(now);
            final List<ArenaSnapshot> arenas = select(reader.read());
            final List<AllocatorSnapshot> allocators = reader.readAllocators();
            if (!once)
            {
                out.print(ANSI_CLEAR);
            }
            out.print(render(reader, liveness, arenas, allocators, now));
            out.flush();
            if (liveness.state() == StatsFileReader.State.EXITED || liveness.state() == StatsFileReader.State.CLOSED)
            {
                err.println("arena-stat: " + liveness.message());
                err.flush();
                return EXIT_NOT_RUNNING;
            }
            if (rounds != 0 && round >= rounds)
            {
                return EXIT_OK;
            }
            Thread.sleep(intervalMillis);
        }
    }

    /** @return one screen: header, liveness and table (see the class comment). */
    String render(final StatsFileReader reader, final StatsFileReader.Liveness liveness,
        final List<ArenaSnapshot> arenas, final List<AllocatorSnapshot> allocators, final long now)
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss"))).append(" arena-stat - ")
            .append(reader.file()).append(" (layout v").append(StatsFile.LAYOUT_VERSION).append(")\n");
        sb.append("pid ").append(reader.pid()).append(" (").append(reader.description()).append("), up ")
            .append(StatsFormat.age(now - reader.startMillis())).append(", ").append(arenas.size())
            .append(arenas.size() == 1 ? " arena, " : " arenas, ");
        if (!allocators.isEmpty())
        {
            sb.append(allocators.size()).append(allocators.size() == 1 ? " allocator, " : " allocators, ");
        }
        sb.append(reader.publishCount()).append(" publishes\n");
        sb.append("status: ").append(liveness.message()).append('\n');
        sb.append("==========================================================================\n");
        final List<ArenaSnapshot> columns = new ArrayList<>(arenas);
        if (!noTotal && arenas.size() >= 2)
        {
            columns.add(ArenaSnapshot.total("total", arenas));
        }
        if (columns.isEmpty())
        {
            sb.append("(no arenas registered)\n");
        }
        else
        {
            sb.append(StatsFormat.table(columns,
                id -> figureFilter == null || figureFilter.matcher(ArenaFigures.name(id)).find(), allClasses, now));
        }
        if (!allocators.isEmpty())
        {
            final List<AllocatorSnapshot> allocatorColumns = new ArrayList<>(allocators);
            if (!noTotal && allocators.size() >= 2)
            {
                allocatorColumns.add(AllocatorSnapshot.total("total", allocators));
            }
            sb.append("--------------------------------------------------------------------------\n");
            sb.append(StatsFormat.allocatorTable(allocatorColumns,
                id -> figureFilter == null || figureFilter.matcher(AllocatorFigures.name(id)).find(), now));
        }
        sb.append("--\n");
        return sb.toString();
    }

    private List<ArenaSnapshot> select(final List<ArenaSnapshot> all)
    {
        if (arenaFilters.isEmpty())
        {
            return all;
        }
        final List<ArenaSnapshot> selected = new ArrayList<>();
        for (final ArenaSnapshot s : all)
        {
            for (final Pattern p : arenaFilters)
            {
                if (p.matcher(s.name()).find() || p.matcher(Integer.toString(s.arenaId())).matches())
                {
                    selected.add(s);
                    break;
                }
            }
        }
        return selected;
    }

    private int heapMaps(final StatsFileReader reader, final PrintWriter out, final PrintWriter err)
    {
        final StatsFileReader.Liveness liveness = reader.liveness(System.currentTimeMillis());
        if (liveness.state() == StatsFileReader.State.EXITED || liveness.state() == StatsFileReader.State.CLOSED)
        {
            err.println("arena-stat: cannot ask for heap maps: " + liveness.message());
            return EXIT_NOT_RUNNING;
        }
        final boolean served = reader.requestHeapMaps(heapMapTimeoutMillis);
        final java.util.Set<String> ofAllocators = new java.util.HashSet<>();
        for (final AllocatorSnapshot a : reader.readAllocators())
        {
            for (final ArenaSnapshot s : a.arenas())
            {
                ofAllocators.add(s.name());
            }
        }
        int missing = 0;
        for (final ArenaSnapshot s : select(reader.read()))
        {
            if (ofAllocators.contains(s.name()))
            {
                out.println(s.name() + ": (an allocator's arena: no heap map on request)");
                continue;
            }
            final Path png = StatsFile.heapMapPath(reader.file(), s.name());
            if (Files.isRegularFile(png))
            {
                out.println(s.name() + ": " + png);
            }
            else
            {
                missing++;
                out.println(s.name() + ": (not written)");
            }
        }
        out.flush();
        if (!served || missing != 0)
        {
            err.println("arena-stat: heap maps not all written within " + heapMapTimeoutMillis + " ms; the owner of " +
                "each arena writes its map at its next ArenaStatsPublisher.publish(), so an arena whose owner does not " +
                "publish gets none");
            return EXIT_ERROR;
        }
        return EXIT_OK;
    }

    private static List<Path> candidates(final Path directory) throws StatsFileException
    {
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory,
            ArenaStatsExporter.DEFAULT_FILE_PREFIX + "*" + ArenaStatsExporter.DEFAULT_FILE_SUFFIX))
        {
            for (final Path p : stream)
            {
                files.add(p);
            }
        }
        catch (final IOException ex)
        {
            throw new StatsFileException("cannot list " + directory + ": " + ex.getMessage());
        }
        files.sort(null);
        return files;
    }

    private static Path discover(final Path directory) throws StatsFileException
    {
        final List<Path> running = new ArrayList<>();
        final List<String> seen = new ArrayList<>();
        for (final Path p : candidates(directory))
        {
            try (StatsFileReader r = StatsFileReader.open(p, false, 0))
            {
                final StatsFileReader.Liveness l = r.liveness(System.currentTimeMillis());
                seen.add(p + " (" + l.state().name().toLowerCase(java.util.Locale.ROOT) + ", pid " + r.pid() + ")");
                if (l.state() == StatsFileReader.State.RUNNING || l.state() == StatsFileReader.State.STALE)
                {
                    running.add(p);
                }
            }
            catch (final StatsFileException ex)
            {
                seen.add(p + " (unreadable)");
            }
        }
        if (running.size() == 1)
        {
            return running.get(0);
        }
        if (running.isEmpty())
        {
            throw new StatsFileException("no running process exports arena stats in " + directory +
                (seen.isEmpty() ? " (no " + ArenaStatsExporter.DEFAULT_FILE_PREFIX + "*" +
                    ArenaStatsExporter.DEFAULT_FILE_SUFFIX + " files)" : "; found " + String.join(", ", seen)) +
                "; pass FILE to read one anyway");
        }
        throw new StatsFileException(running.size() + " running processes export arena stats in " + directory + ": " +
            String.join(", ", seen) + "; pass one as FILE");
    }

    private static int list(final Path directory, final PrintWriter out, final PrintWriter err)
    {
        try
        {
            for (final Path p : candidates(directory))
            {
                try (StatsFileReader r = StatsFileReader.open(p, false, 0))
                {
                    out.println(p + ": " + r.liveness(System.currentTimeMillis()).message());
                }
                catch (final StatsFileException ex)
                {
                    out.println(p + ": " + ex.getMessage());
                }
            }
            out.flush();
            return EXIT_OK;
        }
        catch (final StatsFileException ex)
        {
            err.println("arena-stat: " + ex.getMessage());
            return EXIT_ERROR;
        }
    }
}
