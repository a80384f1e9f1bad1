package io.arenaalloc.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * Turns a {@code results.json} into {@code report.md}, {@code report.html} and PNG charts under
 * {@code charts/}, so a report can be regenerated (and tested) without re-running any benchmark:
 * {@code java -cp arena-bench.jar io.arenaalloc.bench.report.ReportGenerator bench-report/results.json [outDir]}.
 *
 * <p>For every (workload, metric) there is a table of subject, median, min, max and samples, with
 * two ratio columns: {@code arena ÷ subject} (arena's ratio to each baseline) and
 * {@code subject ÷ arena}. Whether a ratio above 1 is good for arena depends on the metric: for
 * {@code throughput} higher is better, for everything else lower is better; every table says which.
 * Skipped subjects appear with their reason. A summary matrix repeats arena's ratio to every
 * baseline for each workload's headline metric.
 *
 * <p>Charts (XChart, rendered headless): per workload a bar chart of the headline metric per
 * subject; for {@code latency} a log-scale chart of p50/p99/p999/max; and, where arena has figures,
 * an "arena advantage" chart per workload ({@code subject ÷ arena} for lower-is-better metrics,
 * {@code arena ÷ subject} for throughput, so above 1 always means arena is better). The HTML embeds
 * the same PNGs as base64 data URIs, so it is a single self-contained file.
 */
public final class ReportGenerator
{
    /** Name of this library's subject, the numerator of every ratio. */
    public static final String ARENA = "arena";

    /** Markdown report file name. */
    public static final String MARKDOWN = "report.md";

    /** HTML report file name. */
    public static final String HTML = "report.html";

    /** Directory of chart PNGs inside the output directory. */
    public static final String CHARTS = "charts";

    /** The workload whose subjects are compared with {@link #RAW}, not with arena. */
    public static final String ACCESS = "access";

    /** Reference subject of {@link #ACCESS}: a read through a fixed address. */
    public static final String RAW = "raw";

    /**
     * Heap maps the {@code frag} benchmark writes into {@code charts/} while it runs (they are
     * measurements, not charts of results.json, so a re-render keeps them), with their captions.
     */
    public static final Map<String, String> HEAP_MAPS = new LinkedHashMap<>(Map.of());

    static
    {
        HEAP_MAPS.put("frag-arena-before.png", "frag: arena's chunks after freeing three quarters, before compaction");
        HEAP_MAPS.put("frag-arena-after.png", "frag: arena's chunks after the idle phase (compaction)");
    }

    private static final int CHART_WIDTH = 900;
    private static final int CHART_HEIGHT = 420;

    private ReportGenerator()
    {
    }

    /** A chart written as a PNG. */
    record Chart(String title, String fileName, byte[] png)
    {
    }

    /** A (workload, metric) table. */
    record Group(String workload, String metric, String unit, List<ResultRow> rows)
    {
        ResultRow row(final String subject)
        {
            for (final ResultRow row : rows)
            {
                if (row.subject().equals(subject))
                {
                    return row;
                }
            }
            return null;
        }

        ResultRow arena()
        {
            final ResultRow arena = row(ARENA);
            return arena == null || arena.isSkipped() ? null : arena;
        }

        /** @return whether this group compares its subjects with {@code raw} ({@code access}) instead of arena. */
        boolean rawReferenced()
        {
            return ACCESS.equals(workload.split("@")[0]);
        }

        /** @return the measured {@code raw} row, or null. */
        ResultRow raw()
        {
            final ResultRow raw = row(RAW);
            return raw == null || raw.isSkipped() ? null : raw;
        }
    }

    /**
     * Command line: {@code ReportGenerator RESULTS_JSON [OUT_DIR]} (OUT_DIR defaults to the JSON's
     * directory).
     */
    public static void main(final String[] args) throws IOException
    {
        if (args.length < 1 || args.length > 2)
        {
            System.err.println("usage: ReportGenerator RESULTS_JSON [OUT_DIR]");
            System.exit(2);
        }
        final Path json = Path.of(args[0]);
        final Path outDir = args.length > 1 ? Path.of(args[1]) : json.toAbsolutePath().getParent();
        generate(json, outDir);
        System.out.println("wrote " + outDir.resolve(MARKDOWN) + " and " + outDir.resolve(HTML));
    }

    /**
     * Read a results file and write the reports.
     *
     * @param resultsJson path of a {@code results.json}.
     * @param outDir      where {@code report.md}, {@code report.html} and {@code charts/} go.
     * @return the results that were read.
     */
    public static Results generate(final Path resultsJson, final Path outDir) throws IOException
    {
        final Results results = Results.read(resultsJson);
        write(results, outDir);
        return results;
    }

    /** Write {@code report.md}, {@code report.html} and {@code charts/*.png} for some results. */
    public static void write(final Results results, final Path outDir) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        final List<Group> groups = groups(results.rows());
        final List<Chart> charts = charts(groups);
        final Path chartDir = outDir.resolve(CHARTS);
        Files.createDirectories(chartDir);
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(chartDir, "*.png"))
        {
            for (final Path png : stale)
            {
                if (!HEAP_MAPS.containsKey(png.getFileName().toString()))
                {
                    Files.delete(png); // charts of an earlier report that this one may not redraw
                }
            }
        }
        for (final Chart chart : charts)
        {
            Files.write(chartDir.resolve(chart.fileName()), chart.png());
        }
        final List<Chart> heapMaps = heapMaps(results, chartDir);
        Files.writeString(outDir.resolve(MARKDOWN), markdown(results, groups, charts, heapMaps), StandardCharsets.UTF_8);
        Files.writeString(outDir.resolve(HTML), html(results, groups, charts, heapMaps), StandardCharsets.UTF_8);
    }

    /** @return the frag heap maps in {@code chartDir}, when the results have a measured frag row for arena. */
    static List<Chart> heapMaps(final Results results, final Path chartDir) throws IOException
    {
        final List<Chart> maps = new ArrayList<>();
        final boolean measured = results.rows().stream().anyMatch(r -> "frag".equals(r.workload()) &&
            ARENA.equals(r.subject()) && !r.isSkipped());
        if (!measured)
        {
            return maps;
        }
        for (final Map.Entry<String, String> entry : HEAP_MAPS.entrySet())
        {
            final Path file = chartDir.resolve(entry.getKey());
            if (Files.isRegularFile(file))
            {
                maps.add(new Chart(entry.getValue(), entry.getKey(), Files.readAllBytes(file)));
            }
        }
        return maps;
    }

    // ---------------------------------------------------------------- grouping and ratios

    static List<Group> groups(final List<ResultRow> rows)
    {
        final Map<String, Group> groups = new LinkedHashMap<>();
        for (final ResultRow row : rows)
        {
            groups.computeIfAbsent(
                row.workload() + "\u0000" + row.metric(),
                k -> new Group(row.workload(), row.metric(), row.unit(), new ArrayList<>())).rows().add(row);
        }
        return new ArrayList<>(groups.values());
    }

    /** @return true when a larger value of this metric is better ({@code throughput}). */
    public static boolean higherIsBetter(final String metric)
    {
        return "throughput".equals(metric);
    }

    /** @return {@code a / b}, or null when either is missing or b is 0. */
    public static Double ratio(final ResultRow a, final ResultRow b)
    {
        if (a == null || b == null || a.isSkipped() || b.isSkipped() || b.median() == 0)
        {
            return null;
        }
        return a.median() / b.median();
    }

    /** @return how many times better arena is than {@code other} (above 1: arena better), or null. */
    public static Double advantage(final String metric, final ResultRow arena, final ResultRow other)
    {
        return higherIsBetter(metric) ? ratio(arena, other) : ratio(other, arena);
    }

    private static String direction(final String metric)
    {
        return higherIsBetter(metric) ? "higher is better" : "lower is better";
    }

    /** The metric a workload is summarised and charted by. */
    private static boolean isHeadline(final Group group)
    {
        return "time".equals(group.metric()) || "throughput".equals(group.metric()) ||
            "footprint".equals(group.metric()) || "p99".equals(group.metric());
    }

    /** A headline group of the arena-versus-baseline summary ({@code access} has its own reference, raw). */
    private static boolean inSummary(final Group group)
    {
        return isHeadline(group) && !group.rawReferenced();
    }

    // ---------------------------------------------------------------- text

    /** @return a number with about 3-4 significant digits. */
    public static String format(final double value)
    {
        final double abs = Math.abs(value);
        if (value == 0)
        {
            return "0";
        }
        if (abs >= 1000)
        {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (abs >= 10)
        {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (abs >= 1)
        {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value);
    }

    private static String formatRatio(final Double ratio)
    {
        return ratio == null ? "—" : String.format(Locale.ROOT, "%.3f", ratio);
    }

    /** @return the table cells of one group, header first. */
    static List<String[]> table(final Group group)
    {
        if (group.rawReferenced())
        {
            final ResultRow raw = group.raw();
            return rows(group, "subject ÷ raw", "subject − raw (" + group.unit() + ")",
                row -> new String[] {formatRatio(ratio(row, raw)), raw == null ? "—" : format(row.median() - raw.median())});
        }
        final ResultRow arena = group.arena();
        return rows(group, "arena ÷ subject", "subject ÷ arena",
            row -> new String[] {formatRatio(ratio(arena, row)), formatRatio(ratio(row, arena))});
    }

    /**
     * The rows of one group: subject, median, min, max, samples, then the two comparison cells {@code compare}
     * gives for a measured row (headed {@code header1}, {@code header2}); a skipped row shows its reason.
     */
    private static List<String[]> rows(final Group group, final String header1, final String header2,
        final java.util.function.Function<ResultRow, String[]> compare)
    {
        final List<String[]> table = new ArrayList<>();
        table.add(new String[] {"subject", "median", "min", "max", "samples", header1, header2});
        for (final ResultRow row : group.rows())
        {
            if (row.isSkipped())
            {
                table.add(new String[] {row.subject(), "skipped: " + row.skipped(), "", "", "", "", ""});
            }
            else
            {
                final String[] cells = compare.apply(row);
                table.add(new String[] {
                    row.subject(), format(row.median()), format(row.min()), format(row.max()),
                    Integer.toString(row.samples()), cells[0], cells[1]});
            }
        }
        return table;
    }

    /** @return subjects (other than arena) that appear in any headline group, in first-seen order. */
    private static List<String> baselines(final List<Group> groups)
    {
        final Set<String> subjects = new LinkedHashSet<>();
        for (final Group group : groups)
        {
            if (inSummary(group))
            {
                for (final ResultRow row : group.rows())
                {
                    if (!row.subject().equals(ARENA))
                    {
                        subjects.add(row.subject());
                    }
                }
            }
        }
        return new ArrayList<>(subjects);
    }

    /** @return the summary matrix: per headline group, arena ÷ subject for each baseline. */
    static List<String[]> summary(final List<Group> groups)
    {
        final List<String> baselines = baselines(groups);
        final List<String[]> table = new ArrayList<>();
        final String[] header = new String[baselines.size() + 3];
        header[0] = "workload";
        header[1] = "metric";
        header[2] = "arena";
        for (int i = 0; i < baselines.size(); i++)
        {
            header[i + 3] = baselines.get(i);
        }
        table.add(header);
        for (final Group group : groups)
        {
            if (!inSummary(group))
            {
                continue;
            }
            final String[] line = new String[header.length];
            line[0] = group.workload();
            line[1] = group.metric() + " (" + group.unit() + ")";
            final ResultRow arenaRow = group.row(ARENA);
            final ResultRow arena = group.arena();
            line[2] = arena != null ? format(arena.median()) : arenaRow != null ? "skipped" : "—";
            for (int i = 0; i < baselines.size(); i++)
            {
                final ResultRow other = group.row(baselines.get(i));
                line[i + 3] = other == null ? "—" : other.isSkipped() ? "skipped" : formatRatio(ratio(arena, other));
            }
            table.add(line);
        }
        return table;
    }

    /** @return one plain-text table of every headline figure, for the terminal. */
    public static String consoleTable(final Results results)
    {
        final List<String[]> table = new ArrayList<>();
        table.add(new String[] {"workload", "subject", "metric", "median", "min", "max", "unit",
            "arena ÷ subject (access: subject ÷ raw)"});
        for (final Group group : groups(results.rows()))
        {
            final ResultRow arena = group.arena();
            final ResultRow raw = group.raw();
            for (final ResultRow row : group.rows())
            {
                if (row.isSkipped())
                {
                    if (isHeadline(group) || "p50".equals(group.metric()))
                    {
                        table.add(new String[] {row.workload(), row.subject(), row.metric(), "skipped", "", "", "",
                            row.skipped()});
                    }
                    continue;
                }
                table.add(new String[] {
                    row.workload(), row.subject(), row.metric(), format(row.median()), format(row.min()),
                    format(row.max()), row.unit(),
                    formatRatio(group.rawReferenced() ? ratio(row, raw) : ratio(arena, row))});
            }
        }
        final int[] widths = new int[table.get(0).length];
        for (final String[] line : table)
        {
            for (int i = 0; i < line.length - 1; i++)
            {
                widths[i] = Math.max(widths[i], line[i].length());
            }
        }
        final StringBuilder out = new StringBuilder();
        for (final String[] line : table)
        {
            for (int i = 0; i < line.length; i++)
            {
                final boolean numeric = i >= 3 && i <= 5;
                final String cell = line[i];
                if (i == line.length - 1)
                {
                    out.append(cell);
                }
                else
                {
                    final String pad = " ".repeat(widths[i] - cell.length());
                    out.append(numeric ? pad + cell : cell + pad).append("  ");
                }
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static void markdownTable(final List<String[]> table, final StringBuilder md)
    {
        for (int r = 0; r < table.size(); r++)
        {
            md.append('|');
            for (final String cell : table.get(r))
            {
                md.append(' ').append(cell.replace("|", "\\|")).append(" |");
            }
            md.append('\n');
            if (r == 0)
            {
                md.append('|');
                for (int i = 0; i < table.get(0).length; i++)
                {
                    md.append(i == 0 ? " --- |" : " ---: |");
                }
                md.append('\n');
            }
        }
        md.append('\n');
    }

    private static String text(final Object value)
    {
        return value instanceof Double && (Double)value == Math.rint((Double)value) ?
            Long.toString(((Double)value).longValue()) : String.valueOf(value);
    }

    private static String settingsLine(final Results results)
    {
        final StringBuilder line = new StringBuilder();
        for (final Map.Entry<String, Object> entry : results.settings().entrySet())
        {
            line.append(line.length() == 0 ? "" : "; ").append(entry.getKey()).append(": ").append(text(entry.getValue()));
        }
        return line.toString();
    }

    private static String machineLine(final Results results)
    {
        final StringBuilder line = new StringBuilder();
        for (final Map.Entry<String, Object> entry : results.machine().entrySet())
        {
            line.append(line.length() == 0 ? "" : ", ").append(entry.getKey()).append(' ').append(text(entry.getValue()));
        }
        return line.toString();
    }

    /** One line per workload family present, saying what it measures. */
    static List<String> workloadNotes(final List<Group> groups)
    {
        final Set<String> families = new LinkedHashSet<>();
        for (final Group group : groups)
        {
            families.add(group.workload().split("@")[0]);
        }
        final List<String> notes = new ArrayList<>();
        for (final String family : families)
        {
            final String note = WORKLOAD_NOTES.get(family);
            notes.add("`" + family + "`: " + (note != null ? note : "see the bench module's Javadoc."));
        }
        return notes;
    }

    private static final Map<String, String> WORKLOAD_NOTES = Map.of(
        "churn-small", "8192 live blocks; each op frees a random block and allocates a log-uniform 16-256 B " +
            "replacement (8 bytes written); time per free+allocate pair.",
        "churn-mixed", "as churn-small with log-uniform 16-16384 B blocks.",
        "latency", "churn-mixed working set; the latency of one allocate (the matching free happens untimed " +
            "just before), sampled by JMH SampleTime; percentiles per iteration, then median/min/max across them.",
        "handoff", "producer threads allocate log-uniform 16-256 B blocks and pass them over JCTools SPSC " +
            "queues (1024 in flight per pair) to consumer threads that free them; handoff@T = T producer/consumer " +
            "pairs (2T threads), plain handoff = 1 pair (the same run as handoff@1); throughput = blocks per us.",
        "larson", "T threads each churn their own set of 4096 log-uniform 16-1024 B blocks and swap sets " +
            "through a shared exchange slot every 4096 ops, so they free blocks other threads allocated; " +
            "plain larson = 2 threads (the same run as larson@2); throughput = free+allocate pairs per us.",
        "frag", "one single shot per fork (fresh JVM): fill to the live target (see settings) with log-uniform " +
            "64 B-64 KiB blocks, every byte written; free 3/4 in random order; idle (the same period for every " +
            "subject: arena compacts, netty-pooled trims its thread cache, jemalloc purges decayed pages, rpmalloc " +
            "collects deferred frees, malloc and netty-adaptive have nothing to call); refill with 1 MiB blocks " +
            "back to the target; footprint = the allocator's own figure (arena committedBytes, Netty " +
            "usedDirectMemory, jemalloc stats.resident) or else the process VmRSS growth since before the fill, " +
            "divided by the requested bytes live. arena uses movable blocks (handles) throughout, the 1 MiB refill " +
            "blocks included.",
        "access", "8192 live movable 64-byte arena blocks; each op reads 8 bytes of a random block (same index " +
            "stream for all): raw = through the address resolved once at set-up, arena-resolve = resolve(handle) " +
            "then read, arena-pin = pin, read, unpin (uncontended); ratios are to raw.",
        "compact", "arena's movable heap (log-uniform 64 B-64 KiB blocks, live size in settings) in cycles: free a " +
            "random half, call compact() (default budget: 2 us, 16 KiB per step; larger blocks wait for larger budgets) while compactionWorthIt(), timing " +
            "each call alone (HdrHistogram, percentiles per session), then copy the same bytes with " +
            "UnsafeApi.copyMemory in block-sized pieces (memcpy row), then refill; throughput in GB/s = 10^9 " +
            "bytes/s: arena = bytes-moved counter delta ÷ summed step time.");

    /** Caption of the heap-map section. */
    static final String HEAP_MAP_NOTE = "One row per 4 MiB chunk of arena's movable heap, one pixel per 16 granules " +
        "(4 KiB), coloured by the mix of what its granules hold (green: live movable blocks, light grey: free). " +
        "Written by the frag benchmark itself (HeapMap.capture) just before and after its idle phase.";

    private static ResultRow measured(final List<Group> groups, final String workload, final String metric,
        final String subject)
    {
        for (final Group group : groups)
        {
            if (group.workload().equals(workload) && group.metric().equals(metric))
            {
                final ResultRow row = group.row(subject);
                return row == null || row.isSkipped() ? null : row;
            }
        }
        return null;
    }

    /**
     * The design targets and where this run stands against them (GUIDE targets; reported, never asserted).
     *
     * @return a table, header first; only the header when none of the workloads ran.
     */
    static List<String[]> targets(final List<Group> groups)
    {
        final List<String[]> table = new ArrayList<>();
        table.add(new String[] {"target", "goal", "this run", "met"});
        final ResultRow frag = measured(groups, "frag", "footprint", ARENA);
        if (frag != null)
        {
            final ResultRow pooled = measured(groups, "frag", "footprint", "netty-pooled");
            table.add(target("frag footprint of arena after compaction (committed ÷ live)", "≤ 1.15",
                format(frag.median()) + (pooled != null ? " (netty-pooled: " + format(pooled.median()) + ")" : ""),
                frag.median() <= 1.15));
        }
        final ResultRow p99 = measured(groups, "compact", "p99", ARENA);
        if (p99 != null)
        {
            table.add(target("compaction step p99 at the default budget", "≤ 2000 ns", format(p99.median()) + " ns",
                p99.median() <= 2000));
        }
        final ResultRow move = measured(groups, "compact", "throughput", ARENA);
        final ResultRow memcpy = measured(groups, "compact", "throughput", "memcpy");
        if (move != null && memcpy != null && memcpy.median() > 0)
        {
            final double r = move.median() / memcpy.median();
            table.add(target("compaction move throughput ÷ memcpy of the same bytes", "≥ 0.5",
                String.format(Locale.ROOT, "%.3f (%s vs %s GB/s)", r, format(move.median()), format(memcpy.median())),
                r >= 0.5));
        }
        final ResultRow raw = measured(groups, ACCESS, "time", RAW);
        final ResultRow resolve = measured(groups, ACCESS, "time", "arena-resolve");
        if (raw != null && resolve != null && raw.median() > 0)
        {
            final double r = resolve.median() / raw.median();
            table.add(target("resolve + read ÷ raw read", "≤ 1.5",
                String.format(Locale.ROOT, "%.3f (%s vs %s ns)", r, format(resolve.median()), format(raw.median())),
                r <= 1.5));
        }
        final ResultRow pin = measured(groups, ACCESS, "time", "arena-pin");
        if (raw != null && pin != null)
        {
            final double cost = pin.median() - raw.median();
            table.add(target("uncontended pin + unpin (arena-pin − raw)", "≤ 10 ns",
                format(cost) + " ns (pin+read+unpin " + format(pin.median()) + " ns)", cost <= 10));
        }
        return table;
    }

    private static String[] target(final String what, final String goal, final String value, final boolean met)
    {
        return new String[] {what, goal, value, met ? "yes" : "no"};
    }

    static String markdown(final Results results, final List<Group> groups, final List<Chart> charts)
    {
        return markdown(results, groups, charts, List.of());
    }

    static String markdown(final Results results, final List<Group> groups, final List<Chart> charts,
        final List<Chart> heapMaps)
    {
        final StringBuilder md = new StringBuilder();
        md.append("# arena-alloc benchmark report (").append(results.mode()).append(" mode)\n\n");
        md.append("Machine: ").append(machineLine(results)).append("\n\n");
        if (!results.settings().isEmpty())
        {
            md.append("Settings: ").append(settingsLine(results)).append("\n\n");
        }
        md.append("Figures are the median, min and max across measurement iterations (iterations x forks = ")
            .append("samples). `arena ÷ subject` is arena's ratio to each baseline, `subject ÷ arena` its inverse; ")
            .append("for `time`, `alloc`, `p50`..`max` lower is better (arena ÷ subject < 1 means arena is better), ")
            .append("for `throughput` higher is better (arena ÷ subject > 1 means arena is better).\n\n");
        md.append("Workloads:\n\n");
        for (final String note : workloadNotes(groups))
        {
            md.append("- ").append(note).append('\n');
        }
        md.append('\n');
        final List<String[]> targets = targets(groups);
        if (targets.size() > 1)
        {
            md.append("## Targets (reported, not asserted)\n\n");
            markdownTable(targets, md);
        }
        md.append("## Summary: arena ÷ baseline\n\n");
        if (groups.stream().noneMatch(g -> inSummary(g) && g.arena() != null))
        {
            md.append("arena has no measured figures in these results (see the skipped reasons below).\n\n");
        }
        markdownTable(summary(groups), md);
        for (final Group group : groups)
        {
            md.append("## ").append(group.workload()).append(": ").append(group.metric())
                .append(" (").append(group.unit()).append(", ").append(direction(group.metric())).append(")\n\n");
            markdownTable(table(group), md);
        }
        if (!charts.isEmpty())
        {
            md.append("## Charts\n\n");
            for (final Chart chart : charts)
            {
                md.append("![").append(chart.title()).append("](").append(CHARTS).append('/')
                    .append(chart.fileName()).append(")\n\n");
            }
        }
        if (!heapMaps.isEmpty())
        {
            md.append("## frag: arena heap maps\n\n").append(HEAP_MAP_NOTE).append("\n\n");
            for (final Chart map : heapMaps)
            {
                md.append(map.title()).append(":\n\n![").append(map.title()).append("](").append(CHARTS).append('/')
                    .append(map.fileName()).append(")\n\n");
            }
        }
        return md.toString();
    }

    private static String escape(final String s)
    {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static void htmlTable(final List<String[]> table, final StringBuilder html)
    {
        html.append("<table>\n");
        for (int r = 0; r < table.size(); r++)
        {
            html.append("<tr>");
            final String[] line = table.get(r);
            for (int i = 0; i < line.length; i++)
            {
                final String tag = r == 0 ? "th" : "td";
                final String cls = r > 0 && line[i].startsWith("skipped") ? " class=\"skipped\"" :
                    r > 0 && i > 0 ? " class=\"num\"" : "";
                html.append('<').append(tag).append(cls).append('>').append(escape(line[i]))
                    .append("</").append(tag).append('>');
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }

    static String html(final Results results, final List<Group> groups, final List<Chart> charts)
    {
        return html(results, groups, charts, List.of());
    }

    static String html(final Results results, final List<Group> groups, final List<Chart> charts,
        final List<Chart> heapMaps)
    {
        final StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>arena-alloc benchmark report</title>\n")
            .append("<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;}")
            .append("table{border-collapse:collapse;margin:0.5em 0 1.5em;}")
            .append("th,td{border:1px solid #ccc;padding:3px 8px;}th{background:#eee;}")
            .append("td.num{text-align:right;font-family:monospace;}td.skipped{color:#888;}")
            .append("img{max-width:100%;border:1px solid #ddd;margin:0.5em 0;}</style>\n</head><body>\n");
        html.append("<h1>arena-alloc benchmark report (").append(escape(results.mode())).append(" mode)</h1>\n");
        html.append("<p>Machine: ").append(escape(machineLine(results))).append("</p>\n");
        if (!results.settings().isEmpty())
        {
            html.append("<p>Settings: ").append(escape(settingsLine(results))).append("</p>\n");
        }
        html.append("<p>Median, min and max across measurement iterations. <code>arena ÷ subject</code> below 1 ")
            .append("means arena is better for lower-is-better metrics; above 1 for throughput.</p>\n");
        html.append("<ul>\n");
        for (final String note : workloadNotes(groups))
        {
            html.append("<li>").append(escape(note).replaceAll("`([^`]*)`", "<code>$1</code>")).append("</li>\n");
        }
        html.append("</ul>\n");
        final List<String[]> targets = targets(groups);
        if (targets.size() > 1)
        {
            html.append("<h2>Targets (reported, not asserted)</h2>\n");
            htmlTable(targets, html);
        }
        html.append("<h2>Summary: arena ÷ baseline</h2>\n");
        htmlTable(summary(groups), html);
        if (!charts.isEmpty())
        {
            html.append("<h2>Charts</h2>\n");
            for (final Chart chart : charts)
            {
                html.append("<img alt=\"").append(escape(chart.title())).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(chart.png())).append("\">\n");
            }
        }
        if (!heapMaps.isEmpty())
        {
            html.append("<h2>frag: arena heap maps</h2>\n<p>").append(escape(HEAP_MAP_NOTE)).append("</p>\n");
            for (final Chart map : heapMaps)
            {
                html.append("<p>").append(escape(map.title())).append(":</p>\n<img alt=\"").append(escape(map.title()))
                    .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(map.png()))
                    .append("\">\n");
            }
        }
        html.append("<h2>Tables</h2>\n");
        for (final Group group : groups)
        {
            html.append("<h3>").append(escape(group.workload())).append(": ").append(escape(group.metric()))
                .append(" (").append(escape(group.unit())).append(", ").append(direction(group.metric()))
                .append(")</h3>\n");
            htmlTable(table(group), html);
        }
        html.append("</body></html>\n");
        return html.toString();
    }

    // ---------------------------------------------------------------- charts

    private static String fileName(final String workload, final String what)
    {
        return (workload + "-" + what).replace("@", "-at-").replaceAll("[^A-Za-z0-9._-]", "_") + ".png";
    }

    private static CategoryChart barChart(final String title, final String yTitle)
    {
        final CategoryChart chart = new CategoryChartBuilder()
            .width(CHART_WIDTH).height(CHART_HEIGHT).title(title).xAxisTitle("subject").yAxisTitle(yTitle).build();
        chart.getStyler()
            .setLabelsVisible(true)
            .setDecimalPattern("#,##0.##")
            .setLegendPosition(Styler.LegendPosition.InsideNE)
            .setChartBackgroundColor(java.awt.Color.WHITE);
        return chart;
    }

    static List<Chart> charts(final List<Group> groups) throws IOException
    {
        final List<Chart> charts = new ArrayList<>();
        final Map<String, Map<String, Group>> byWorkload = new LinkedHashMap<>();
        for (final Group group : groups)
        {
            byWorkload.computeIfAbsent(group.workload(), k -> new LinkedHashMap<>()).put(group.metric(), group);
        }
        final Set<List<ResultRow>> charted = new HashSet<>();
        for (final Map.Entry<String, Map<String, Group>> entry : byWorkload.entrySet())
        {
            final String workload = entry.getKey();
            final Map<String, Group> metrics = entry.getValue();
            if (!charted.add(sameRunKey(metrics.values())))
            {
                continue; // e.g. handoff@1 is the same run as handoff: one chart is enough
            }
            for (final Group group : metrics.values())
            {
                if ("time".equals(group.metric()) || "throughput".equals(group.metric()) ||
                    "footprint".equals(group.metric()))
                {
                    valueChart(group, charts);
                    if (group.rawReferenced())
                    {
                        rawRatioChart(group, charts);
                    }
                    else if (!"compact".equals(workload))
                    {
                        advantageChart(group, charts); // compact: the target table gives arena ÷ memcpy
                    }
                }
            }
            if (metrics.containsKey("p50"))
            {
                percentileChart(workload, metrics, charts);
                final Group p99 = metrics.get("p99");
                if (p99 != null)
                {
                    advantageChart(p99, charts);
                }
            }
        }
        scalingCharts(groups, charts);
        return charts;
    }

    /** Rows of a workload with the workload name blanked: equal for two names of one run. */
    private static List<ResultRow> sameRunKey(final Collection<Group> groups)
    {
        final List<ResultRow> key = new ArrayList<>();
        for (final Group group : groups)
        {
            for (final ResultRow row : group.rows())
            {
                key.add(row.withWorkload(""));
            }
        }
        return key;
    }

    /** Throughput against T for each {@code family@T}, one line per subject. */
    private static void scalingCharts(final List<Group> groups, final List<Chart> charts) throws IOException
    {
        final Map<String, Map<String, TreeMap<Integer, Double>>> families = new LinkedHashMap<>();
        for (final Group group : groups)
        {
            final String[] parts = group.workload().split("@");
            if (parts.length != 2 || !"throughput".equals(group.metric()))
            {
                continue;
            }
            final int threads;
            try
            {
                threads = Integer.parseInt(parts[1]);
            }
            catch (final NumberFormatException ex)
            {
                continue;
            }
            for (final ResultRow row : group.rows())
            {
                if (!row.isSkipped())
                {
                    families.computeIfAbsent(parts[0], k -> new LinkedHashMap<>())
                        .computeIfAbsent(row.subject(), k -> new TreeMap<>()).put(threads, row.median());
                }
            }
        }
        for (final Map.Entry<String, Map<String, TreeMap<Integer, Double>>> family : families.entrySet())
        {
            final String title = family.getKey() + "@T: throughput against T (Mops/s, higher is better)";
            final XYChart chart = new XYChartBuilder().width(CHART_WIDTH).height(CHART_HEIGHT).title(title)
                .xAxisTitle("T").yAxisTitle("throughput [Mops/s]").build();
            chart.getStyler().setXAxisDecimalPattern("0").setYAxisMin(0.0)
                .setLegendPosition(Styler.LegendPosition.OutsideE).setChartBackgroundColor(java.awt.Color.WHITE);
            for (final Map.Entry<String, TreeMap<Integer, Double>> subject : family.getValue().entrySet())
            {
                final double[] xs = subject.getValue().keySet().stream().mapToDouble(Integer::doubleValue).toArray();
                final double[] ys = subject.getValue().values().stream().mapToDouble(Double::doubleValue).toArray();
                chart.addSeries(subject.getKey(), xs, ys);
            }
            charts.add(new Chart(title, fileName(family.getKey(), "scaling"),
                BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
        }
    }

    private static void valueChart(final Group group, final List<Chart> charts) throws IOException
    {
        final List<String> subjects = new ArrayList<>();
        final List<Double> medians = new ArrayList<>();
        for (final ResultRow row : group.rows())
        {
            if (!row.isSkipped())
            {
                subjects.add(row.subject());
                medians.add(row.median());
            }
        }
        if (subjects.isEmpty())
        {
            return;
        }
        final String title = "compact".equals(group.workload()) && "throughput".equals(group.metric()) ?
            "compact: move throughput, arena compaction vs memcpy of the same bytes (GB/s, higher is better)" :
            group.workload() + ": " + group.metric() + " (" + group.unit() + ", " + direction(group.metric()) + ")";
        final CategoryChart chart = barChart(title, group.metric() + " [" + group.unit() + "]");
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("median", subjects, medians);
        charts.add(new Chart(title, fileName(group.workload(), group.metric()),
            BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
    }

    /** {@code subject ÷ raw} for each subject of a raw-referenced group (access). */
    private static void rawRatioChart(final Group group, final List<Chart> charts) throws IOException
    {
        final ResultRow raw = group.raw();
        if (raw == null)
        {
            return;
        }
        final List<String> subjects = new ArrayList<>();
        final List<Double> ratios = new ArrayList<>();
        for (final ResultRow row : group.rows())
        {
            final Double ratio = ratio(row, raw);
            if (ratio != null)
            {
                subjects.add(row.subject());
                ratios.add(ratio);
            }
        }
        if (subjects.size() < 2)
        {
            return;
        }
        final String title = group.workload() + ": " + group.metric() + " ÷ raw (" + direction(group.metric()) + ")";
        final CategoryChart chart = barChart(title, "× raw");
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("ratio", subjects, ratios);
        charts.add(new Chart(title, fileName(group.workload(), group.metric() + "-ratio-to-raw"),
            BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
    }

    private static void advantageChart(final Group group, final List<Chart> charts) throws IOException
    {
        final ResultRow arena = group.arena();
        if (arena == null)
        {
            return;
        }
        final List<String> subjects = new ArrayList<>();
        final List<Double> advantages = new ArrayList<>();
        for (final ResultRow row : group.rows())
        {
            final Double advantage = row.subject().equals(ARENA) ? null : advantage(group.metric(), arena, row);
            if (advantage != null)
            {
                subjects.add(row.subject());
                advantages.add(advantage);
            }
        }
        if (subjects.isEmpty())
        {
            return;
        }
        final String formula = higherIsBetter(group.metric()) ? "arena ÷ subject" : "subject ÷ arena";
        final String title = group.workload() + ": arena advantage on " + group.metric() + " (" + formula +
            ", above 1 = arena better)";
        final CategoryChart chart = barChart(title, "× (" + formula + ")");
        chart.getStyler().setLegendVisible(false);
        chart.addSeries("advantage", subjects, advantages);
        charts.add(new Chart(title, fileName(group.workload(), group.metric() + "-arena-advantage"),
            BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
    }

    private static void percentileChart(
        final String workload, final Map<String, Group> metrics, final List<Chart> charts) throws IOException
    {
        final List<String> subjects = new ArrayList<>();
        for (final ResultRow row : metrics.get("p50").rows())
        {
            if (!row.isSkipped())
            {
                subjects.add(row.subject());
            }
        }
        if (subjects.isEmpty())
        {
            return;
        }
        final String what = "compact".equals(workload) ? "compaction step latency percentiles at the default budget" :
            "allocation latency percentiles";
        final String title = workload + ": " + what + " (ns, log scale, lower is better)";
        final CategoryChart chart = barChart(title, "ns");
        chart.getStyler().setYAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setLabelsVisible(false);
        double smallest = Double.MAX_VALUE;
        for (final String metric : List.of("p50", "p99", "p999", "max"))
        {
            final Group group = metrics.get(metric);
            if (group == null)
            {
                continue;
            }
            final List<Double> values = new ArrayList<>();
            for (final String subject : subjects)
            {
                final ResultRow row = group.row(subject);
                values.add(row == null || row.isSkipped() ? Double.NaN : Math.max(row.median(), 1e-3));
            }
            if (values.stream().noneMatch(v -> v.isNaN()))
            {
                chart.addSeries(metric, subjects, values);
                for (final double value : values)
                {
                    smallest = Math.min(smallest, value);
                }
            }
        }
        // bar charts start at 0 unless told otherwise, which a logarithmic axis cannot show
        chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(smallest))));
        if (!chart.getSeriesMap().isEmpty())
        {
            charts.add(new Chart(title, fileName(workload, "percentiles"),
                BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG)));
        }
    }
}
