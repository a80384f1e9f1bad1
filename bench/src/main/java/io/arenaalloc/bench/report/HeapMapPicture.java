package io.arenaalloc.bench.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

import javax.imageio.ImageIO;

import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.stats.HeapMap;

/**
 * A heap map ({@link HeapMap}: one row per chunk, one cell per 256-byte granule) drawn small enough
 * for a report: {@link #WIDTH} pixels per chunk row, each pixel the <em>mix</em> of the colours of
 * the granules it covers in proportion to their number (a pixel over 16 granules of which 4 are
 * live is a quarter green, three quarters grey), so partly used regions look partly used rather than
 * full. A caption gives the chunk count, committed and live bytes; a legend names the colours.
 */
public final class HeapMapPicture
{
    /** Pixels per chunk row. */
    public static final int WIDTH = 1024;

    private static final int CAPTION = 40;
    private static final int LEGEND = 22;

    private HeapMapPicture()
    {
    }

    /** Capture {@code arena} (owner thread) and write the picture as a PNG to {@code path}. */
    public static void write(final OffHeapArena arena, final String title, final Path path) throws IOException
    {
        final HeapMap map = HeapMap.capture(arena);
        final String stats = String.format(Locale.ROOT,
            "%d chunk rows; committed %.1f MiB, live %.1f MiB (fragmentation %.2f)",
            map.rowCount(), arena.committedBytes() / 1048576.0, arena.liveBytes() / 1048576.0, arena.fragmentation());
        System.setProperty("java.awt.headless", "true");
        if (!ImageIO.write(render(map, title, stats), "png", path.toFile()))
        {
            throw new IOException("no PNG writer in javax.imageio");
        }
    }

    /** @return the picture of a captured map. */
    public static BufferedImage render(final HeapMap map, final String title, final String stats)
    {
        final int rows = Math.max(1, map.rowCount());
        final int rowHeight = Math.max(2, Math.min(12, 480 / rows));
        final int height = CAPTION + rows * rowHeight + LEGEND;
        final BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        final Graphics2D g = image.createGraphics();
        try
        {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(title, 4, 15);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(stats + "; one row per chunk, one pixel per " + granulesPerPixel(map) + " granules", 4, 32);
            final int[] line = new int[WIDTH];
            for (int r = 0; r < map.rowCount(); r++)
            {
                mixRow(map, r, line);
                for (int y = 0; y < rowHeight - (rowHeight > 3 ? 1 : 0); y++)
                {
                    image.setRGB(0, CAPTION + r * rowHeight + y, WIDTH, 1, line, 0, WIDTH);
                }
            }
            int x = 4;
            final int y = CAPTION + rows * rowHeight + 6;
            for (int state = HeapMap.UNUSED; state <= HeapMap.PINNED; state++)
            {
                g.setColor(new Color(HeapMap.color(state)));
                g.fillRect(x, y, 12, 12);
                g.setColor(Color.BLACK);
                g.drawRect(x, y, 12, 12);
                g.drawString(HeapMap.stateName(state), x + 16, y + 11);
                x += 100;
            }
        }
        finally
        {
            g.dispose();
        }
        return image;
    }

    private static int granulesPerPixel(final HeapMap map)
    {
        return Math.max(1, (map.width() + WIDTH - 1) / WIDTH);
    }

    private static void mixRow(final HeapMap map, final int row, final int[] line)
    {
        final int width = map.width();
        for (int x = 0; x < WIDTH; x++)
        {
            final int from = (int)((long)x * width / WIDTH);
            final int to = Math.max(from + 1, (int)((long)(x + 1) * width / WIDTH));
            long red = 0;
            long green = 0;
            long blue = 0;
            for (int cell = from; cell < to; cell++)
            {
                final int color = HeapMap.color(map.state(row, cell));
                red += (color >>> 16) & 0xFF;
                green += (color >>> 8) & 0xFF;
                blue += color & 0xFF;
            }
            final int n = to - from;
            line[x] = (int)((red / n) << 16 | (green / n) << 8 | (blue / n));
        }
    }
}
