package io.arenaalloc.stats;

import io.arenaalloc.core.BlockVisitor;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.core.SizeClasses;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A picture of an arena: each chunk a row, each granule (256 B) a pixel coloured by what it holds.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>granule state</b>, by rank: {@link #BACKGROUND} (past the end of a shorter chunk),
 *   {@link #UNUSED} (inside a chunk but in no block or free run: a slab's tail waste, a huge chunk's alignment
 *   pad), {@link #FREE}, {@link #FIXED} (a live fixed block), {@link #MOVABLE} (a live movable block, unpinned),
 *   {@link #PINNED} (a live movable block, pinned at the walk). A granule holding several small blocks takes the
 *   highest rank among them, so one live 16-byte block makes its granule "in use".</li>
 *   <li><b>row</b>: one chunk, in the order of {@link OffHeapArena#walk} (chunk ids).</li>
 * </ul>
 *
 * <h2>Picture layout</h2>
 * <pre>
 *   width  = granules of a regular chunk (chunkSize / 256: 16384 px for 4 MiB chunks), at most MAX_WIDTH
 *   height = chunks x rowHeight
 *   x = 0                                                         width - 1
 *   row 0  |FFFF.MMMMMMMM.....PPP..MMMMM.........|    F fixed, M movable, P pinned, . free
 *   row 1  |MMMMMMMMMMMMMMMMMMMMMMMMMM...........|
 *   row 2  |FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF|    a huge chunk: scaled to the width
 * </pre>
 * Colours (ARGB): background white, unused dark grey, free light grey, fixed blue, movable green,
 * pinned red: {@link #COLORS}. A chunk wider than the picture (a huge chunk, the last piece of a large
 * caller-owned region, or any chunk above 4 MiB) is drawn scaled: each pixel covers ceil(granules / width) granules and takes the highest
 * state among them.
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>{@link #capture}: one {@link OffHeapArena#walk} on the owner thread; each chunk gets a byte per pixel;
 *   each block or free run raises the state of the pixels it overlaps to its state.</li>
 *   <li>{@link #write}: PNG through {@code javax.imageio} (or SVG, one rectangle per run of equal pixels in a row,
 *   for a path ending in ".svg").</li>
 * </ol>
 * A capture allocates (one byte per granule); it is for reports and on-request snapshots, not hot paths.
 */
public final class HeapMap
{
    public static final byte BACKGROUND = 0;
    public static final byte UNUSED = 1;
    public static final byte FREE = 2;
    public static final byte FIXED = 3;
    public static final byte MOVABLE = 4;
    public static final byte PINNED = 5;
    /** ARGB colour of each state, indexed by state. */
    private static final int[] COLOR_TABLE = {
        0xFFFFFFFF, 0xFF555555, 0xFFDDDDDD, 0xFF1F5FBF, 0xFF2CA02C, 0xFFD62728
    };
    /** Names of the states, indexed by state. */
    private static final String[] STATE_NAMES = {"background", "unused", "free", "fixed", "movable", "pinned"};
    /** The colours, indexed by state (a copy). */
    public static final List<Integer> COLORS = List.of(COLOR_TABLE[0], COLOR_TABLE[1], COLOR_TABLE[2],
        COLOR_TABLE[3], COLOR_TABLE[4], COLOR_TABLE[5]);
    /** Default pixel height of a row. */
    public static final int DEFAULT_ROW_HEIGHT = 1;
    /** Widest picture: chunks of more than 16384 granules (4 MiB) are drawn scaled. */
    public static final int MAX_WIDTH = 16384;

    private final int width;
    private final List<Row> rows;

    private HeapMap(final int width, final List<Row> rows)
    {
        this.width = width;
        this.rows = rows;
    }

    /**
     * Owner thread: walks {@code arena} and records the state of every granule.
     *
     * @throws IllegalStateException if the arena is closed.
     */
    public static HeapMap capture(final OffHeapArena arena)
    {
        final int width = (int)Math.min(MAX_WIDTH, arena.config().chunkSize() >>> SizeClasses.GRANULE_SHIFT);
        final Capture capture = new Capture(width);
        arena.walk(capture);
        return new HeapMap(capture.width, capture.rows);
    }

    /** Owner thread: captures {@code arena} and writes it to {@code path} (PNG, or SVG for ".svg"). */
    public static void write(final OffHeapArena arena, final Path path) throws IOException
    {
        capture(arena).write(path);
    }

    /** @return the name of a state, e.g. "pinned". */
    public static String stateName(final int state)
    {
        return STATE_NAMES[state];
    }

    /** @return the ARGB colour of a state. */
    public static int color(final int state)
    {
        return COLOR_TABLE[state];
    }

    /** @return pixels per row. */
    public int width()
    {
        return width;
    }

    /** @return rows, one per chunk. */
    public int rowCount()
    {
        return rows.size();
    }

    public long chunkBase(final int row)
    {
        return rows.get(row).base;
    }

    public long chunkSize(final int row)
    {
        return rows.get(row).size;
    }

    public boolean isHuge(final int row)
    {
        return rows.get(row).huge;
    }

    /** @return granules one pixel of this row covers (1 except for huge chunks wider than the picture). */
    public long granulesPerPixel(final int row)
    {
        return rows.get(row).scale;
    }

    /** @return the state of pixel {@code x} of {@code row}. */
    public int state(final int row, final int x)
    {
        return rows.get(row).pixels[x];
    }

    /** @return how many pixels have {@code state}, over all rows. */
    public long count(final int state)
    {
        long n = 0;
        for (final Row r : rows)
        {
            for (final byte b : r.pixels)
            {
                if (b == state)
                {
                    n++;
                }
            }
        }
        return n;
    }

    /** @return the picture, {@code rowHeight} pixels per chunk (at least one row when the arena has no chunk). */
    public BufferedImage toImage(final int rowHeight)
    {
        if (rowHeight < 1 || rowHeight > 64)
        {
            throw new IllegalArgumentException("rowHeight=" + rowHeight + ", expected 1..64");
        }
        final BufferedImage image = new BufferedImage(width, Math.max(1, rows.size()) * rowHeight,
            BufferedImage.TYPE_INT_ARGB);
        final int[] line = new int[width];
        for (int r = 0; r < rows.size(); r++)
        {
            final byte[] pixels = rows.get(r).pixels;
            for (int x = 0; x < width; x++)
            {
                line[x] = COLOR_TABLE[pixels[x]];
            }
            for (int y = 0; y < rowHeight; y++)
            {
                image.setRGB(0, r * rowHeight + y, width, 1, line, 0, width);
            }
        }
        if (rows.isEmpty())
        {
            java.util.Arrays.fill(line, COLOR_TABLE[BACKGROUND]);
            for (int y = 0; y < rowHeight; y++)
            {
                image.setRGB(0, y, width, 1, line, 0, width);
            }
        }
        return image;
    }

    /** Writes a PNG, one pixel row per chunk. */
    public void writePng(final OutputStream out) throws IOException
    {
        if (!ImageIO.write(toImage(DEFAULT_ROW_HEIGHT), "png", out))
        {
            throw new IOException("no PNG writer in javax.imageio");
        }
    }

    /** Writes an SVG with a legend: one rectangle per run of equal pixels in a row (background omitted). */
    public void writeSvg(final Writer out) throws IOException
    {
        final int legend = 16;
        final int height = Math.max(1, rows.size()) + legend;
        out.write(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" " +
            "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">%n", width, height, width, height));
        out.write("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        for (int r = 0; r < rows.size(); r++)
        {
            final byte[] pixels = rows.get(r).pixels;
            int x = 0;
            while (x < width)
            {
                final byte s = pixels[x];
                int end = x + 1;
                while (end < width && pixels[end] == s)
                {
                    end++;
                }
                if (s != BACKGROUND)
                {
                    out.write(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"1\" fill=\"#%06x\"/>%n",
                        x, r, end - x, COLOR_TABLE[s] & 0xFFFFFF));
                }
                x = end;
            }
        }
        int x = 0;
        for (int s = UNUSED; s <= PINNED; s++)
        {
            out.write(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"#%06x\"/>" +
                "<text x=\"%d\" y=\"%d\" font-size=\"10\">%s</text>%n", x, height - 12, COLOR_TABLE[s] & 0xFFFFFF,
                x + 12, height - 3, STATE_NAMES[s]));
            x += 80;
        }
        out.write("</svg>\n");
    }

    /** Writes to {@code path}: SVG when it ends in ".svg" (any case), else PNG. */
    public void write(final Path path) throws IOException
    {
        final Path parent = path.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".svg"))
        {
            try (Writer w = Files.newBufferedWriter(path, StandardCharsets.UTF_8))
            {
                writeSvg(w);
            }
        }
        else
        {
            try (OutputStream out = Files.newOutputStream(path))
            {
                writePng(out);
            }
        }
    }

    public String toString()
    {
        return "HeapMap{width=" + width + ", rows=" + rows.size() + ", free=" + count(FREE) + ", fixed=" + count(FIXED) +
            ", movable=" + count(MOVABLE) + ", pinned=" + count(PINNED) + ", unused=" + count(UNUSED) + '}';
    }

    private static final class Row
    {
        final long base;
        final long size;
        final boolean huge;
        final long scale;
        final byte[] pixels;

        Row(final long base, final long size, final boolean huge, final long scale, final int width)
        {
            this.base = base;
            this.size = size;
            this.huge = huge;
            this.scale = scale;
            this.pixels = new byte[width];
        }
    }

    /** The walk's visitor: fills one row per chunk. */
    private static final class Capture implements BlockVisitor
    {
        final int width;
        final List<Row> rows = new ArrayList<>();
        private Row current;

        Capture(final int width)
        {
            this.width = width;
        }

        @Override
        public void visit(final long address, final long size, final boolean inUse, final boolean movable)
        {
            // the walk calls visitBlock
        }

        @Override
        public void beginChunk(final long base, final long size, final boolean huge, final boolean movable)
        {
            final long granules = (size + SizeClasses.GRANULE - 1) >>> SizeClasses.GRANULE_SHIFT;
            final long scale = Math.max(1, (granules + width - 1) / width);
            current = new Row(base, size, huge, scale, width);
            final int used = (int)((granules + scale - 1) / scale);
            java.util.Arrays.fill(current.pixels, 0, used, UNUSED);
            rows.add(current);
        }

        @Override
        public void visitBlock(final long address, final long size, final boolean inUse, final boolean movable,
            final boolean pinned, final int sizeClass)
        {
            final byte state = !inUse ? FREE : pinned ? PINNED : movable ? MOVABLE : FIXED;
            final long first = (address - current.base) >>> SizeClasses.GRANULE_SHIFT;
            final long last = (address + Math.max(1, size) - 1 - current.base) >>> SizeClasses.GRANULE_SHIFT;
            final byte[] pixels = current.pixels;
            for (long p = first / current.scale, end = Math.min(width - 1, last / current.scale); p <= end; p++)
            {
                if (pixels[(int)p] < state)
                {
                    pixels[(int)p] = state;
                }
            }
        }
    }
}
