package io.arenaalloc.stats;

import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;

/**
 * Text formatting shared by {@code arena-stat}, the reporter and snapshots: exact numbers with grouping, byte
 * sizes in binary units, ages, and the figure table.
 *
 * <h2>Vocabulary</h2>
 * <b>cell</b>: one figure of one snapshot as text, by the figure's {@link ArenaFigures.Unit}: counts, bytes and
 * nanoseconds exact with grouping ({@code 1,234}); ppm as a percentage; epoch ms as an age ("0.3 s ago").
 *
 * <h2>Table layout</h2>
 * <pre>
 *   figure                   arena-0     arena-1       total      &lt;- one column per snapshot, right-aligned
 *   allocations                  100         250         350
 *   fragmentation-ppm         12.50%       0.00%       4.17%      &lt;- ppm figures as percentages
 *   published-at-ms          0.3 s ago   0.3 s ago   0.3 s ago   &lt;- epoch figures as ages ("never" for 0)
 *   class-48-live                 10           0          10      &lt;- size classes only where a slab exists
 * </pre>
 * {@link #allocatorTable} prints the {@link AllocatorFigures} the same way, with "allocator" in place of "figure"
 * and one column per allocator ("no limit" for a budget-limit-bytes of {@code Long.MAX_VALUE}):
 * <pre>
 *   allocator                 pool   other   total
 *   limit-waits                  2       0       2
 * </pre>
 * <h2>Algorithm of {@link #table} and {@link #allocatorTable}</h2>
 * <ol>
 *   <li>Choose rows: every figure the filter accepts; a per-class figure only if some column has capacity in
 *   that class (or {@code allClasses}).</li>
 *   <li>Format every cell by the figure's unit ({@link #cell}); size each column to its widest cell.</li>
 *   <li>Print the header row and one line per figure, columns separated by two spaces.</li>
 * </ol>
 */
public final class StatsFormat
{
    private static final String[] BINARY_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private StatsFormat()
    {
    }

    /** @return {@code value} with thousands separators: 1,234,567. */
    public static String grouped(final long value)
    {
        return String.format(Locale.ROOT, "%,d", value);
    }

    /** @return a byte count in binary units with one decimal above 1 KiB: "512 B", "1.5 MiB". */
    public static String bytes(final long bytes)
    {
        if (Math.abs(bytes) < 1024)
        {
            return bytes + " B";
        }
        double v = bytes;
        int unit = 0;
        while (Math.abs(v) >= 1024 && unit < BINARY_UNITS.length - 1)
        {
            v /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, BINARY_UNITS[unit]);
    }

    /** @return a duration for people: "0.4 s", "12 s", "5 min 12 s", "3 h 2 min". */
    public static String age(final long millis)
    {
        final long ms = Math.max(0, millis);
        if (ms < 10_000)
        {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        final long s = ms / 1000;
        if (s < 120)
        {
            return s + " s";
        }
        if (s < 7200)
        {
            return s / 60 + " min " + s % 60 + " s";
        }
        return s / 3600 + " h " + (s % 3600) / 60 + " min";
    }

    /** @return a fraction 0..1 as a percentage with two decimals: "12.50%". */
    public static String percent(final double fraction)
    {
        return String.format(Locale.ROOT, "%.2f%%", fraction * 100.0);
    }

    /** @return one table cell: figure {@code id}'s value formatted by its unit. */
    public static String cell(final int id, final long value, final long nowMillis)
    {
        return cell(ArenaFigures.unit(id), value, nowMillis);
    }

    /** @return one table cell: {@code value} formatted by {@code unit}. */
    public static String cell(final ArenaFigures.Unit unit, final long value, final long nowMillis)
    {
        switch (unit)
        {
            case PPM:
                return percent(value / (double)ArenaFigures.PPM);
            case EPOCH_MILLIS:
                return value == 0 ? "never" : age(nowMillis - value) + " ago";
            case BYTES:
                return value == Long.MAX_VALUE ? "no limit" : grouped(value);
            default:
                return grouped(value);
        }
    }

    /**
     * @param columns    one column per snapshot, in order (e.g. the arenas, then their total).
     * @param filter     accepts the figure ids to show.
     * @param allClasses show every size class, not only those with slabs.
     * @return the table, lines ending in '\n'.
     */
    public static String table(final List<ArenaSnapshot> columns, final IntPredicate filter, final boolean allClasses,
        final long nowMillis)
    {
        final int[] rows = new int[ArenaFigures.COUNT];
        int rowCount = 0;
        for (int id = 0; id < ArenaFigures.COUNT; id++)
        {
            if (!filter.test(id))
            {
                continue;
            }
            final int cls = ArenaFigures.classOf(id);
            if (cls >= 0 && !allClasses && !anyCapacity(columns, cls))
            {
                continue;
            }
            rows[rowCount++] = id;
        }
        final String[] names = new String[columns.size()];
        for (int c = 0; c < columns.size(); c++)
        {
            names[c] = columns.get(c).name();
        }
        final String[] labels = new String[rowCount];
        final String[][] cells = new String[rowCount][columns.size()];
        for (int r = 0; r < rowCount; r++)
        {
            labels[r] = ArenaFigures.name(rows[r]);
            for (int c = 0; c < columns.size(); c++)
            {
                cells[r][c] = cell(rows[r], columns.get(c).figure(rows[r]), nowMillis);
            }
        }
        return grid("figure", names, labels, cells);
    }

    /**
     * @param columns one column per allocator snapshot, in order (e.g. the allocators, then their total).
     * @param filter  accepts the {@link AllocatorFigures} ids to show.
     * @return the table of allocator figures, lines ending in '\n' (see the class comment).
     */
    public static String allocatorTable(final List<AllocatorSnapshot> columns, final IntPredicate filter,
        final long nowMillis)
    {
        final String[] names = new String[columns.size()];
        for (int c = 0; c < columns.size(); c++)
        {
            names[c] = columns.get(c).name();
        }
        int rowCount = 0;
        final int[] rows = new int[AllocatorFigures.COUNT];
        for (int id = 0; id < AllocatorFigures.COUNT; id++)
        {
            if (filter.test(id))
            {
                rows[rowCount++] = id;
            }
        }
        final String[] labels = new String[rowCount];
        final String[][] cells = new String[rowCount][columns.size()];
        for (int r = 0; r < rowCount; r++)
        {
            labels[r] = AllocatorFigures.name(rows[r]);
            for (int c = 0; c < columns.size(); c++)
            {
                cells[r][c] = cell(AllocatorFigures.unit(rows[r]), columns.get(c).figure(rows[r]), nowMillis);
            }
        }
        return grid("allocator", names, labels, cells);
    }

    /** Steps 2 and 3 of the table algorithm: size the columns, print the header row and the rows. */
    private static String grid(final String corner, final String[] columnNames, final String[] rowLabels,
        final String[][] cells)
    {
        int labelWidth = corner.length();
        final int[] widths = new int[columnNames.length];
        for (int c = 0; c < columnNames.length; c++)
        {
            widths[c] = columnNames[c].length();
        }
        for (int r = 0; r < rowLabels.length; r++)
        {
            labelWidth = Math.max(labelWidth, rowLabels[r].length());
            for (int c = 0; c < columnNames.length; c++)
            {
                widths[c] = Math.max(widths[c], cells[r][c].length());
            }
        }
        final StringBuilder sb = new StringBuilder();
        pad(sb, corner, labelWidth, false);
        for (int c = 0; c < columnNames.length; c++)
        {
            sb.append("  ");
            pad(sb, columnNames[c], widths[c], true);
        }
        sb.append('\n');
        for (int r = 0; r < rowLabels.length; r++)
        {
            pad(sb, rowLabels[r], labelWidth, false);
            for (int c = 0; c < columnNames.length; c++)
            {
                sb.append("  ");
                pad(sb, cells[r][c], widths[c], true);
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static boolean anyCapacity(final List<ArenaSnapshot> columns, final int cls)
    {
        for (final ArenaSnapshot s : columns)
        {
            if (s.classCapacityBlocks(cls) != 0)
            {
                return true;
            }
        }
        return false;
    }

    private static void pad(final StringBuilder sb, final String text, final int width, final boolean right)
    {
        if (!right)
        {
            sb.append(text);
        }
        for (int i = text.length(); i < width; i++)
        {
            sb.append(' ');
        }
        if (right)
        {
            sb.append(text);
        }
    }
}
