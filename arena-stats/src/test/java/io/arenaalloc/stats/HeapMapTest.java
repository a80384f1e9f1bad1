package io.arenaalloc.stats;

import io.arenaalloc.core.ArenaConfig;
import io.arenaalloc.core.OffHeapArena;
import io.arenaalloc.core.SizeClasses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The heap map of a known layout has exactly the expected state, and PNG colour, in every pixel. */
class HeapMapTest
{
    private static final long CHUNK = 256 << 10;
    private static final int WIDTH = (int)(CHUNK / SizeClasses.GRANULE);

    /** A block the test placed: where it is, how many granules it spans, the state it must show. */
    private static final class Placed
    {
        final long address;
        final long granules;
        final int state;

        Placed(final long address, final long bytes, final int state)
        {
            this.address = address;
            this.granules = (bytes + SizeClasses.GRANULE - 1) / SizeClasses.GRANULE;
            this.state = state;
        }
    }

    @Test
    void everyPixelMatchesTheLayout(@TempDir final Path dir) throws Exception
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).build()))
        {
            final List<Placed> placed = new ArrayList<>();
            final long medium = arena.allocate(5000);                      // 20 granules
            placed.add(new Placed(medium, arena.usableSize(medium), HeapMap.FIXED));
            final long small = arena.allocate(64);                         // first block of a 16 KiB slab
            placed.add(new Placed(small, 64, HeapMap.FIXED));
            final long freed = arena.allocate(4864);                       // 19 granules, freed again
            arena.free(freed);
            final long medium2 = arena.allocate(6000);                      // 24 granules
            placed.add(new Placed(medium2, arena.usableSize(medium2), HeapMap.FIXED));
            final long h1 = arena.allocateHandle(4608);                    // movable, 18 granules
            final long h2 = arena.allocateHandle(5120);                    // movable, pinned, 20 granules
            final long h2Address = arena.pin(h2);
            placed.add(new Placed(arena.resolve(h1), 4608, HeapMap.MOVABLE));
            placed.add(new Placed(h2Address, 5120, HeapMap.PINNED));
            final long huge = arena.allocate(200_000);                     // a huge chunk of 200,704 B = 784 granules
            placed.add(new Placed(huge, arena.usableSize(huge), HeapMap.FIXED));

            final HeapMap map = HeapMap.capture(arena);
            assertEquals(WIDTH, map.width());
            assertEquals(3, map.rowCount(), map::toString);

            final int[][] expected = new int[map.rowCount()][WIDTH];
            int found = 0;
            for (int r = 0; r < map.rowCount(); r++)
            {
                final long base = map.chunkBase(r);
                final long granules = map.chunkSize(r) / SizeClasses.GRANULE;
                assertEquals(1, map.granulesPerPixel(r));
                for (int x = 0; x < WIDTH; x++)
                {
                    expected[r][x] = x < granules ? HeapMap.FREE : HeapMap.BACKGROUND;
                }
                for (final Placed p : placed)
                {
                    if (p.address >= base && p.address < base + map.chunkSize(r))
                    {
                        found++;
                        final int first = (int)((p.address - base) / SizeClasses.GRANULE);
                        for (int g = first; g < first + p.granules; g++)
                        {
                            expected[r][g] = p.state;
                        }
                    }
                }
            }
            assertEquals(placed.size(), found, "every placed block lies in one row");
            for (int r = 0; r < map.rowCount(); r++)
            {
                for (int x = 0; x < WIDTH; x++)
                {
                    final int row = r;
                    final int col = x;
                    assertEquals(expected[r][x], map.state(r, x), () -> "row " + row + " pixel " + col + " of " + map);
                }
            }
            assertEquals(20 + 1 + 24 + 784, map.count(HeapMap.FIXED));
            assertEquals(18, map.count(HeapMap.MOVABLE));
            assertEquals(0, map.count(HeapMap.UNUSED));
            assertEquals(20, map.count(HeapMap.PINNED));

            // the PNG has exactly those colours
            final Path png = dir.resolve("map.png");
            HeapMap.write(arena, png);
            final BufferedImage image = ImageIO.read(png.toFile());
            assertEquals(WIDTH, image.getWidth());
            assertEquals(map.rowCount(), image.getHeight());
            for (int r = 0; r < map.rowCount(); r++)
            {
                for (int x = 0; x < WIDTH; x++)
                {
                    assertEquals(HeapMap.color(expected[r][x]), image.getRGB(x, r), "PNG row " + r + " pixel " + x);
                }
            }

            // SVG: one rectangle per run, the pinned run 20 pixels wide in red
            final Path svg = dir.resolve("map.svg");
            map.write(svg);
            final String text = new String(Files.readAllBytes(svg), StandardCharsets.UTF_8);
            assertTrue(text.startsWith("<svg"), text);
            assertTrue(text.contains(String.format("width=\"20\" height=\"1\" fill=\"#%06x\"",
                HeapMap.color(HeapMap.PINNED) & 0xFFFFFF)), text);
            arena.unpin(h2);
        }
    }

    @Test
    void hugeChunkWiderThanThePictureIsScaled()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).build()))
        {
            arena.allocate(1 << 20); // 4096 granules: 4 per pixel
            final HeapMap map = HeapMap.capture(arena);
            assertEquals(1, map.rowCount());
            assertEquals(4, map.granulesPerPixel(0));
            assertTrue(map.isHuge(0));
            assertEquals(WIDTH, map.count(HeapMap.FIXED));
        }
    }

    @Test
    void slabTailWasteIsUnused()
    {
        try (OffHeapArena arena = OffHeapArena.create(ArenaConfig.builder().chunkSize(CHUNK).build()))
        {
            final int cls = SizeClasses.classOf(3584);
            final int waste = SizeClasses.slabBytes(cls) - SizeClasses.blocksPerSlab(cls) * SizeClasses.classSize(cls);
            arena.allocate(3584);
            final HeapMap map = HeapMap.capture(arena);
            assertEquals(waste / SizeClasses.GRANULE, map.count(HeapMap.UNUSED), map::toString);
            assertEquals(14, map.count(HeapMap.FIXED), "3584 B spans 14 granules");
        }
    }
}
