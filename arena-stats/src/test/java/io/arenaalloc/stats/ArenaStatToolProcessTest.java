package io.arenaalloc.stats;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * arena-stat against counters files written by separate JVMs ({@link StatsChildMain}, {@link AllocatorStatsChildMain}),
 * started with the test class path: a running process, heap maps on request, a process that closed its stats, one
 * that was killed, discovery of the file in a directory, and an exported {@code ArenaAllocator}'s allocator figures.
 */
class ArenaStatToolProcessTest
{
    /** Output of one run of the tool. */
    static final class Run
    {
        final int exit;
        final String out;
        final String err;

        Run(final int exit, final String out, final String err)
        {
            this.exit = exit;
            this.out = out;
            this.err = err;
        }

        /** @return the cells of the table row of {@code figure}, or null. */
        String[] row(final String figure)
        {
            return rowAfter(figure, null);
        }

        /** @return the cells of the allocator table's row of {@code figure}, or null. */
        String[] allocatorRow(final String figure)
        {
            return rowAfter(figure, "allocator ");
        }

        private String[] rowAfter(final String figure, final String header)
        {
            boolean in = header == null;
            for (final String line : out.split("\n"))
            {
                in |= header != null && line.startsWith(header);
                if (in && line.startsWith(figure + " "))
                {
                    return line.trim().split("\\s+");
                }
            }
            return null;
        }

        public String toString()
        {
            return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    static Run tool(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine cl = new CommandLine(new ArenaStatTool());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        final int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static Process startChild(final Path file) throws IOException
    {
        return startChild(StatsChildMain.class, file);
    }

    static Process startChild(final Class<?> main, final Path file) throws IOException
    {
        final String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        final ProcessBuilder pb = new ProcessBuilder(java, "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp", System.getProperty("java.class.path"), main.getName(), file.toString());
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    static long awaitReady(final Process p) throws IOException
    {
        final BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        final String line = in.readLine();
        assertNotNull(line, "child exited before READY, exit " + (p.isAlive() ? "alive" : p.exitValue()));
        assertTrue(line.startsWith("READY "), line);
        return Long.parseLong(line.substring(6).trim());
    }

    static void send(final Process p, final String command) throws IOException
    {
        final OutputStream in = p.getOutputStream();
        in.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    @Test
    void readsFilesOfOtherProcessesAndTellsWhenTheyAreGone(@TempDir final Path dir) throws Exception
    {
        final Path file1 = dir.resolve("arena-stats-1.dat");
        final Path file2 = dir.resolve("arena-stats-2.dat");
        final Process child1 = startChild(file1);
        final Process child2 = startChild(file2);
        try
        {
            final long pid1 = awaitReady(child1);
            final long pid2 = awaitReady(child2);

            // 1. a running process: exact figures, total column, status line
            final Run run = tool("--once", file1.toString());
            assertEquals(ArenaStatTool.EXIT_OK, run.exit, run::toString);
            assertTrue(run.out.contains("pid " + pid1 + " (StatsChildMain)"), run::toString);
            assertTrue(run.out.contains("status: process " + pid1 + " is running"), run::toString);
            assertArrayEquals(new String[] {"figure", "alpha", "beta", "total"}, run.row("figure"), run::toString);
            assertArrayEquals(new String[] {"allocations", "100", "10", "110"}, run.row("allocations"), run::toString);
            assertArrayEquals(new String[] {"frees", "40", "0", "40"}, run.row("frees"), run::toString);
            assertArrayEquals(new String[] {"live-blocks", "60", "10", "70"}, run.row("live-blocks"), run::toString);
            assertArrayEquals(new String[] {"live-handles", "0", "10", "10"}, run.row("live-handles"), run::toString);
            assertArrayEquals(new String[] {"live-bytes", "6,720", "51,200", "57,920"}, run.row("live-bytes"),
                run::toString);
            assertArrayEquals(new String[] {"pinned-blocks", "0", "2", "2"}, run.row("pinned-blocks"), run::toString);
            assertArrayEquals(new String[] {"class-112-live", "60", "0", "60"}, run.row("class-112-live"), run::toString);

            // 2. filters
            final Run filtered = tool("--once", "--arena", "beta", "--figure", "^live-blocks$", "--no-total",
                file1.toString());
            assertEquals(0, filtered.exit, filtered::toString);
            assertArrayEquals(new String[] {"figure", "beta"}, filtered.row("figure"), filtered::toString);
            assertArrayEquals(new String[] {"live-blocks", "10"}, filtered.row("live-blocks"), filtered::toString);
            assertEquals(null, filtered.row("allocations"), filtered::toString);

            // 3. heap maps on request, written by the other process's owners
            final Run maps = tool("--heap-map", "--timeout", "20000", file1.toString());
            assertEquals(0, maps.exit, maps::toString);
            final Path betaPng = StatsFile.heapMapPath(file1, "beta");
            assertTrue(maps.out.contains("beta: " + betaPng), maps::toString);
            final BufferedImage beta = ImageIO.read(betaPng.toFile());
            assertEquals(1024, beta.getWidth());
            assertEquals(40, count(beta, HeapMap.color(HeapMap.PINNED)), "2 pinned blocks x 20 granules");
            assertEquals(160, count(beta, HeapMap.color(HeapMap.MOVABLE)), "8 movable blocks x 20 granules");
            assertTrue(Files.isRegularFile(StatsFile.heapMapPath(file1, "alpha")));

            // 4. discovery: two running processes in the directory is ambiguous
            final Run ambiguous = tool("--once", "--dir", dir.toString());
            assertEquals(ArenaStatTool.EXIT_ERROR, ambiguous.exit, ambiguous::toString);
            assertTrue(ambiguous.err.contains("2 running processes"), ambiguous::toString);

            // 5. a killed process: exit status 2 and a clear message, last figures still shown
            child2.destroyForcibly();
            assertTrue(child2.waitFor(20, TimeUnit.SECONDS));
            final Run killed = tool("--once", file2.toString());
            assertEquals(ArenaStatTool.EXIT_NOT_RUNNING, killed.exit, killed::toString);
            assertTrue(killed.err.contains("process " + pid2 + " has exited without closing its arena stats"),
                killed::toString);
            assertArrayEquals(new String[] {"allocations", "100", "10", "110"}, killed.row("allocations"),
                killed::toString);

            // 6. discovery now finds the one running process
            final Run found = tool("--once", "--dir", dir.toString());
            assertEquals(0, found.exit, found::toString);
            assertTrue(found.out.contains(file1.toString()), found::toString);
            final Run list = tool("--list", "--dir", dir.toString());
            assertTrue(list.out.contains("process " + pid2 + " has exited"), list::toString);

            // 7. a process that closed its stats
            send(child1, "close");
            assertTrue(child1.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, child1.exitValue());
            final Run closed = tool("--once", file1.toString());
            assertEquals(ArenaStatTool.EXIT_NOT_RUNNING, closed.exit, closed::toString);
            assertTrue(closed.err.contains("process " + pid1 + " closed its arena stats"), closed::toString);
            assertArrayEquals(new String[] {"live-blocks", "60", "10", "70"}, closed.row("live-blocks"),
                closed::toString);
        }
        finally
        {
            child1.destroyForcibly();
            child2.destroyForcibly();
        }
    }

    @Test
    void showsTheAllocatorFiguresOfAnotherProcess(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("arena-stats-alloc.dat");
        final Process child = startChild(AllocatorStatsChildMain.class, file);
        try
        {
            final BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.US_ASCII));
            final String ready = in.readLine();
            assertNotNull(ready, "child exited before READY");
            final String[] words = ready.split(" ");
            assertEquals("READY", words[0], ready);
            final long pid = Long.parseLong(words[1]);
            final int k = Integer.parseInt(words[2]);
            assertTrue(k >= 6, ready);

            final Run run = tool("--once", file.toString());
            assertEquals(ArenaStatTool.EXIT_OK, run.exit, run::toString);
            assertTrue(run.out.contains("pid " + pid + " (AllocatorStatsChildMain), "), run::toString);
            assertTrue(run.out.contains(", 1 arena, 1 allocator, "), run::toString);
            // the allocator's arena is a column of the arena table
            final String[] header = run.row("figure");
            assertEquals(2, header.length, run::toString);
            assertTrue(header[1].startsWith("pool/arena-"), run::toString);
            assertArrayEquals(new String[] {"allocations", Integer.toString(10 + k)}, run.row("allocations"), run::toString);
            assertArrayEquals(new String[] {"frees", "4"}, run.row("frees"), run::toString);
            assertArrayEquals(new String[] {"frees-local", "0"}, run.row("frees-local"), run::toString);
            assertArrayEquals(new String[] {"remote-frees-queued", "4"}, run.row("remote-frees-queued"), run::toString);
            assertArrayEquals(new String[] {"remote-frees-applied", "4"}, run.row("remote-frees-applied"), run::toString);
            assertArrayEquals(new String[] {"live-blocks", Integer.toString(6 + k)}, run.row("live-blocks"), run::toString);
            // and the allocator figures have a table of their own
            assertArrayEquals(new String[] {"allocator", "pool"}, run.allocatorRow("allocator"), run::toString);
            assertArrayEquals(new String[] {"threads-registered", "2"}, run.allocatorRow("threads-registered"),
                run::toString);
            assertArrayEquals(new String[] {"arenas-created", "1"}, run.allocatorRow("arenas-created"), run::toString);
            assertArrayEquals(new String[] {"arenas-open", "1"}, run.allocatorRow("arenas-open"), run::toString);
            assertArrayEquals(new String[] {"remote-frees-batched", "4"}, run.allocatorRow("remote-frees-batched"),
                run::toString);
            assertArrayEquals(new String[] {"batches-published", "1"}, run.allocatorRow("batches-published"),
                run::toString);
            assertArrayEquals(new String[] {"limit-waits", "0"}, run.allocatorRow("limit-waits"), run::toString);
            assertArrayEquals(new String[] {"limit-failures", "1"}, run.allocatorRow("limit-failures"), run::toString);
            assertArrayEquals(new String[] {"budget-limit-bytes", "1,048,576"}, run.allocatorRow("budget-limit-bytes"),
                run::toString);

            // --figure filters both tables
            final Run limits = tool("--once", "--figure", "^limit-", file.toString());
            assertEquals(0, limits.exit, limits::toString);
            assertArrayEquals(new String[] {"limit-failures", "0"}, limits.row("limit-failures"),
                limits::toString); // the arena's own limit: none
            assertArrayEquals(new String[] {"limit-waits", "0"}, limits.row("limit-waits"),
                limits::toString); // the arena's column lists its waits too (none: no limitWaitNanos)
            assertArrayEquals(new String[] {"limit-waits", "0"}, limits.allocatorRow("limit-waits"), limits::toString);
            assertArrayEquals(new String[] {"limit-failures", "1"}, limits.allocatorRow("limit-failures"),
                limits::toString);
            assertEquals(null, limits.allocatorRow("arenas-open"), limits::toString);

            // heap maps are not asked of an allocator's arenas, so the request does not hang
            final Run maps = tool("--heap-map", "--timeout", "5000", file.toString());
            assertEquals(0, maps.exit, maps::toString);
            assertTrue(maps.out.contains(": (an allocator's arena: no heap map on request)"), maps::toString);

            // a killed process: its last allocator figures are still shown
            child.destroyForcibly();
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
            final Run killed = tool("--once", file.toString());
            assertEquals(ArenaStatTool.EXIT_NOT_RUNNING, killed.exit, killed::toString);
            assertArrayEquals(new String[] {"limit-failures", "1"}, killed.allocatorRow("limit-failures"),
                killed::toString);
        }
        finally
        {
            child.destroyForcibly();
        }
    }

    private static int count(final BufferedImage image, final int argb)
    {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++)
        {
            for (int x = 0; x < image.getWidth(); x++)
            {
                if (image.getRGB(x, y) == argb)
                {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void refusesFilesThatAreNotOurs(@TempDir final Path dir) throws Exception
    {
        final Path random = dir.resolve("random.dat");
        final byte[] junk = new byte[4096];
        new java.util.Random(1).nextBytes(junk);
        junk[0] = 0x12;
        Files.write(random, junk);
        final Run r1 = tool("--once", random.toString());
        assertEquals(ArenaStatTool.EXIT_ERROR, r1.exit, r1::toString);
        assertTrue(r1.err.contains("is not an arena-stats file: magic=0x"), r1::toString);

        final Path tiny = dir.resolve("tiny.dat");
        Files.write(tiny, "hello".getBytes(StandardCharsets.US_ASCII));
        final Run r2 = tool("--once", tiny.toString());
        assertEquals(ArenaStatTool.EXIT_ERROR, r2.exit, r2::toString);
        assertTrue(r2.err.contains("is not an arena-stats file: its length 5 is below the header length 256"),
            r2::toString);

        final Run r3 = tool("--once", dir.resolve("missing.dat").toString());
        assertEquals(ArenaStatTool.EXIT_ERROR, r3.exit, r3::toString);
        assertTrue(r3.err.contains("no such file"), r3::toString);

        // our magic, another version
        final Path future = dir.resolve("future.dat");
        final java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(4096).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        header.putLong(StatsFile.MAGIC_OFFSET, StatsFile.MAGIC).putInt(StatsFile.VERSION_OFFSET, 99);
        Files.write(future, header.array());
        final Run r4 = tool("--once", future.toString());
        assertEquals(ArenaStatTool.EXIT_ERROR, r4.exit, r4::toString);
        assertTrue(r4.err.contains("has layout version 99, this reader reads version " + StatsFile.LAYOUT_VERSION),
            r4::toString);

        final Run none = tool("--once", "--dir", dir.resolve("empty").toString());
        assertEquals(ArenaStatTool.EXIT_ERROR, none.exit, none::toString);
        assertFalse(none.err.isEmpty(), none::toString);
    }

    @Test
    void staleHeartbeatIsReportedButNotFatal(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("stale.dat");
        try (ArenaStatsExporter exporter = ArenaStatsExporter.builder().file(file).intervalMillis(0).maxCounters(128)
            .build())
        {
            // pretend the exporter promised a publish every 100 ms and last beat 10 s ago
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE))
            {
                final java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                b.putLong(0, 100).rewind();
                ch.write(b, StatsFile.INTERVAL_MILLIS_OFFSET);
                b.putLong(0, System.currentTimeMillis() - 10_000).rewind();
                ch.write(b, StatsFile.HEARTBEAT_MILLIS_OFFSET);
            }
            final Run r = tool("--once", file.toString());
            assertEquals(ArenaStatTool.EXIT_OK, r.exit, r::toString);
            assertTrue(r.out.contains("is running but has not published for"), r::toString);
            assertTrue(r.out.contains("(no arenas registered)"), r::toString);
        }
    }
}
