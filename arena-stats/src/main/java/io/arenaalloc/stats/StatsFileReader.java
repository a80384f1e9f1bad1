package io.arenaalloc.stats;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a counters file written by {@link ArenaStatsExporter} (normally in another process): validates it,
 * tells whether its writer is alive, and returns the arenas' figures. Layout: see {@link StatsFile}.
 *
 * <h2>Vocabulary</h2>
 * <b>liveness</b>: {@link State#RUNNING} (heartbeat fresh), {@link State#STALE} (the writer's pid is alive but it
 * has not published for 3 intervals and at least {@value #MIN_STALE_MILLIS} ms), {@link State#CLOSED} (the
 * exporter was closed), {@link State#EXITED} (no process with the writer's pid on this host).
 *
 * <h2>Algorithm of {@link #open}</h2>
 * <ol>
 *   <li>Refuse a missing file, or one shorter than the header: "not an arena-stats file".</li>
 *   <li>Map the whole file (read-only, or read-write to request heap maps). Check the magic; a wrong one is
 *   "not an arena-stats file" with both values in the message.</li>
 *   <li>Read the version with an acquire load; while it is 0 the writer is still initialising: retry every
 *   10 ms up to {@code initTimeoutMillis}. Any version other than {@link StatsFile#LAYOUT_VERSION} is refused
 *   naming both.</li>
 *   <li>Check header, metadata and values lengths against each other and the file length; check the figure
 *   count and the allocator figure count. Wrap the two buffers in an Agrona {@link CountersReader}.</li>
 * </ol>
 * <h2>Algorithm of {@link #read()} and {@link #readAllocators()}</h2>
 * <ol>
 *   <li>Visit every allocated counter of type {@link StatsFile#FIGURE_TYPE_ID} (arena figures) and
 *   {@link StatsFile#ALLOCATOR_TYPE_ID} (allocator figures).</li>
 *   <li>Group by registration id, ascending: registration order, whatever counter slots were reused.</li>
 *   <li>Read each value with a volatile load. Values are slightly stale and not from one instant, as with any
 *   Agrona counters reader.</li>
 *   <li>{@link #read()} returns every arena; {@link #readAllocators()} returns every allocator with the arenas whose
 *   key names its registration id.</li>
 * </ol>
 *
 * <p>Not thread safe; one reader per thread. {@link #close()} unmaps.
 */
public final class StatsFileReader implements AutoCloseable
{
    public static final long DEFAULT_INIT_TIMEOUT_MILLIS = 2_000;
    /** Minimum heartbeat age, in ms, before a live writer is called stale. */
    public static final long MIN_STALE_MILLIS = 3_000;

    /** Liveness of the writing process. */
    public enum State
    {
        RUNNING, STALE, CLOSED, EXITED
    }

    /** Liveness with a message for people. */
    public static final class Liveness
    {
        private final State state;
        private final String message;

        Liveness(final State state, final String message)
        {
            this.state = state;
            this.message = message;
        }

        public State state()
        {
            return state;
        }

        public String message()
        {
            return message;
        }

        public String toString()
        {
            return state + ": " + message;
        }
    }

    private final Path file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final CountersReader counters;

    private StatsFileReader(final Path file, final MappedByteBuffer mapped, final UnsafeBuffer header,
        final CountersReader counters)
    {
        this.file = file;
        this.mapped = mapped;
        this.header = header;
        this.counters = counters;
    }

    /** Opens read-only, waiting up to {@value #DEFAULT_INIT_TIMEOUT_MILLIS} ms for a file being initialised. */
    public static StatsFileReader open(final Path file) throws StatsFileException
    {
        return open(file, false, DEFAULT_INIT_TIMEOUT_MILLIS);
    }

    /**
     * @param writable map read-write, needed only for {@link #requestHeapMaps(long)}.
     * @throws StatsFileException with a message fit for people when the file is missing, not ours, of another
     * version or inconsistent.
     */
    public static StatsFileReader open(final Path file, final boolean writable, final long initTimeoutMillis)
        throws StatsFileException
    {
        final long length;
        try
        {
            if (!Files.isRegularFile(file))
            {
                throw new StatsFileException(file + ": no such file (is the process exporting its arena stats? " +
                    "see ArenaStatsExporter)");
            }
            length = Files.size(file);
        }
        catch (final IOException ex)
        {
            throw new StatsFileException(file + ": cannot read: " + ex.getMessage());
        }
        if (length < StatsFile.HEADER_LENGTH)
        {
            throw new StatsFileException(file + " is not an arena-stats file: its length " + length +
                " is below the header length " + StatsFile.HEADER_LENGTH);
        }
        final MappedByteBuffer mapped;
        try
        {
            mapped = IoUtil.mapExistingFile(file.toFile(),
                writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, "arena stats");
        }
        catch (final RuntimeException ex)
        {
            throw new StatsFileException(file + ": cannot map: " + ex.getMessage());
        }
        boolean ok = false;
        try
        {
            final StatsFileReader reader = validate(file, mapped, length, initTimeoutMillis);
            ok = true;
            return reader;
        }
        finally
        {
            if (!ok)
            {
                IoUtil.unmap(mapped);
            }
        }
    }

    private static StatsFileReader validate(final Path file, final MappedByteBuffer mapped, final long length,
        final long initTimeoutMillis) throws StatsFileException
    {
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, StatsFile.HEADER_LENGTH);
        final long magic = header.getLong(StatsFile.MAGIC_OFFSET);
        if (magic != StatsFile.MAGIC)
        {
            throw new StatsFileException(file + " is not an arena-stats file: magic=0x" + Long.toHexString(magic) +
                ", expected 0x" + Long.toHexString(StatsFile.MAGIC) + " (\"ARENASTF\")");
        }
        final long deadline = System.currentTimeMillis() + initTimeoutMillis;
        int version = header.getIntAcquire(StatsFile.VERSION_OFFSET);
        while (version == 0 && System.currentTimeMillis() < deadline)
        {
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                break;
            }
            version = header.getIntAcquire(StatsFile.VERSION_OFFSET);
        }
        if (version == 0)
        {
            throw new StatsFileException(file + " is still being initialised by its writer (layout version 0 after " +
                initTimeoutMillis + " ms); try again");
        }
        if (version != StatsFile.LAYOUT_VERSION)
        {
            throw new StatsFileException(file + " has layout version " + version + ", this reader reads version " +
                StatsFile.LAYOUT_VERSION + " (use an arena-stat of the same release as the process)");
        }
        final int headerLength = header.getInt(StatsFile.HEADER_LENGTH_OFFSET);
        final int metaLength = header.getInt(StatsFile.METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(StatsFile.VALUES_LENGTH_OFFSET);
        final int figureCount = header.getInt(StatsFile.FIGURE_COUNT_OFFSET);
        final int allocatorFigureCount = header.getInt(StatsFile.ALLOCATOR_FIGURE_COUNT_OFFSET);
        if (headerLength != StatsFile.HEADER_LENGTH || valuesLength <= 0 ||
            valuesLength % CountersReader.COUNTER_LENGTH != 0 || metaLength != valuesLength * StatsFile.METADATA_RATIO ||
            (long)headerLength + metaLength + valuesLength > length)
        {
            throw new StatsFileException(file + " is corrupt: headerLength=" + headerLength + " metadataLength=" +
                metaLength + " valuesLength=" + valuesLength + " fileLength=" + length + ", expected headerLength=" +
                StatsFile.HEADER_LENGTH + ", metadataLength=" + StatsFile.METADATA_RATIO +
                " x valuesLength, valuesLength a multiple of " + CountersReader.COUNTER_LENGTH + ", all within the file");
        }
        if (figureCount != ArenaFigures.COUNT)
        {
            throw new StatsFileException(file + " has " + figureCount + " figures per arena, this reader knows " +
                ArenaFigures.COUNT + " (use an arena-stat of the same release as the process)");
        }
        if (allocatorFigureCount != AllocatorFigures.COUNT)
        {
            throw new StatsFileException(file + " has " + allocatorFigureCount + " figures per allocator, this reader " +
                "knows " + AllocatorFigures.COUNT + " (use an arena-stat of the same release as the process)");
        }
        final UnsafeBuffer meta = new UnsafeBuffer(mapped, headerLength, metaLength);
        final UnsafeBuffer values = new UnsafeBuffer(mapped, headerLength + metaLength, valuesLength);
        return new StatsFileReader(file, mapped, header,
            new CountersReader(meta, values, StandardCharsets.US_ASCII));
    }

    public Path file()
    {
        return file;
    }

    public long pid()
    {
        return header.getLong(StatsFile.PID_OFFSET);
    }

    public long startMillis()
    {
        return header.getLong(StatsFile.START_MILLIS_OFFSET);
    }

    public long heartbeatMillis()
    {
        return header.getLongVolatile(StatsFile.HEARTBEAT_MILLIS_OFFSET);
    }

    public long intervalMillis()
    {
        return header.getLong(StatsFile.INTERVAL_MILLIS_OFFSET);
    }

    /** @return epoch ms of the exporter's close, or 0 while open. */
    public long closedMillis()
    {
        return header.getLongVolatile(StatsFile.CLOSED_MILLIS_OFFSET);
    }

    public long publishCount()
    {
        return header.getLongVolatile(StatsFile.PUBLISH_COUNT_OFFSET);
    }

    public String description()
    {
        final int n = Math.max(0, Math.min(StatsFile.MAX_DESCRIPTION_LENGTH,
            header.getInt(StatsFile.DESCRIPTION_LENGTH_OFFSET)));
        return header.getStringWithoutLengthAscii(StatsFile.DESCRIPTION_OFFSET, n);
    }

    /** @return the underlying Agrona reader, e.g. to list the counters as AeronStat does. */
    public CountersReader countersReader()
    {
        return counters;
    }

    /**
     * Decides whether the writer is alive (see the class comment). The pid check sees only processes of this
     * host and PID namespace: a writer in another container reads as exited.
     */
    public Liveness liveness(final long nowMillis)
    {
        final long pid = pid();
        final long closed = closedMillis();
        final long age = nowMillis - heartbeatMillis();
        if (closed != 0)
        {
            return new Liveness(State.CLOSED, "process " + pid + " closed its arena stats " +
                StatsFormat.age(nowMillis - closed) + " ago; the figures are its last published ones");
        }
        final boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        if (!alive)
        {
            return new Liveness(State.EXITED, "process " + pid + " has exited without closing its arena stats " +
                "(last heartbeat " + StatsFormat.age(age) + " ago); the figures are its last published ones");
        }
        final long interval = intervalMillis();
        if (interval > 0 && age > Math.max(3 * interval, MIN_STALE_MILLIS))
        {
            return new Liveness(State.STALE, "process " + pid + " is running but has not published for " +
                StatsFormat.age(age) + " (expected every " + interval + " ms)");
        }
        return new Liveness(State.RUNNING, "process " + pid + " is running, last heartbeat " +
            StatsFormat.age(age) + " ago");
    }

    /** @return the figures of every registered arena (lone or of an allocator), in registration order. */
    public List<ArenaSnapshot> read()
    {
        final long now = System.currentTimeMillis();
        final Map<Long, Row> arenaRows = new TreeMap<>();
        collect(arenaRows, null);
        final List<ArenaSnapshot> list = new ArrayList<>(arenaRows.size());
        for (final Row row : arenaRows.values())
        {
            list.add(new ArenaSnapshot(row.name, row.arenaId, 1, now, row.figures));
        }
        return list;
    }

    /** @return every registered allocator, in registration order, each with its arenas in registration order. */
    public List<AllocatorSnapshot> readAllocators()
    {
        final long now = System.currentTimeMillis();
        final Map<Long, Row> arenaRows = new TreeMap<>();
        final Map<Long, Row> allocatorRows = new TreeMap<>();
        collect(arenaRows, allocatorRows);
        final List<AllocatorSnapshot> list = new ArrayList<>(allocatorRows.size());
        for (final Map.Entry<Long, Row> g : allocatorRows.entrySet())
        {
            final List<ArenaSnapshot> arenas = new ArrayList<>();
            for (final Row row : arenaRows.values())
            {
                if (row.allocatorRegistrationId == g.getKey())
                {
                    arenas.add(new ArenaSnapshot(row.name, row.arenaId, 1, now, row.figures));
                }
            }
            list.add(AllocatorSnapshot.of(g.getValue().name, now, g.getValue().figures, arenas));
        }
        return list;
    }

    private void collect(final Map<Long, Row> arenaRows, final Map<Long, Row> allocatorRows)
    {
        counters.forEach((int counterId, int typeId, DirectBuffer key, String label) ->
        {
            final Map<Long, Row> rows;
            final int figureCount;
            if (typeId == StatsFile.FIGURE_TYPE_ID)
            {
                rows = arenaRows;
                figureCount = ArenaFigures.COUNT;
            }
            else if (typeId == StatsFile.ALLOCATOR_TYPE_ID && allocatorRows != null)
            {
                rows = allocatorRows;
                figureCount = AllocatorFigures.COUNT;
            }
            else
            {
                return;
            }
            final int figure = key.getInt(StatsFile.KEY_FIGURE_ID_OFFSET);
            if (figure < 0 || figure >= figureCount)
            {
                return;
            }
            final long registrationId = key.getLong(StatsFile.KEY_REGISTRATION_ID_OFFSET);
            final Row row = rows.computeIfAbsent(registrationId, id ->
            {
                final int n = Math.max(0, Math.min(StatsFile.MAX_NAME_LENGTH, key.getInt(StatsFile.KEY_NAME_LENGTH_OFFSET)));
                return new Row(key.getInt(StatsFile.KEY_ARENA_ID_OFFSET),
                    key.getStringWithoutLengthAscii(StatsFile.KEY_NAME_OFFSET, n),
                    key.getLong(StatsFile.KEY_ALLOCATOR_REGISTRATION_ID_OFFSET), figureCount);
            });
            row.figures[figure] = counters.getCounterValue(counterId);
        });
    }

    /**
     * Asks the writing process for a heap map of each arena (written beside this file, see
     * {@link StatsFile#heapMapPath}) and waits until its exporter reports them served. Needs a writable open.
     *
     * @return true when served within {@code timeoutMillis}; false on timeout (an arena's owner did not publish).
     */
    public boolean requestHeapMaps(final long timeoutMillis)
    {
        long request;
        do
        {
            request = header.getLongVolatile(StatsFile.HEAP_MAP_REQUEST_OFFSET);
        }
        while (!header.compareAndSetLong(StatsFile.HEAP_MAP_REQUEST_OFFSET, request, request + 1));
        final long wanted = request + 1;
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline)
        {
            if (header.getLongVolatile(StatsFile.HEAP_MAP_SERVED_OFFSET) - wanted >= 0)
            {
                return true;
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    @Override
    public void close()
    {
        IoUtil.unmap(mapped);
    }

    private static final class Row
    {
        final int arenaId;
        final String name;
        final long allocatorRegistrationId;
        final long[] figures;

        Row(final int arenaId, final String name, final long allocatorRegistrationId, final int figureCount)
        {
            this.arenaId = arenaId;
            this.name = name;
            this.allocatorRegistrationId = allocatorRegistrationId;
            this.figures = new long[figureCount];
        }
    }
}
