package io.arenaalloc.stats;

import io.arenaalloc.core.SystemProperties;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;

import java.io.File;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * Exports the figures of registered arenas and {@code ArenaAllocator}s into a memory-mapped Agrona counters file
 * that {@code arena-stat} (or any Agrona {@code CountersReader}) reads from another process.
 * Export is off unless an exporter is built: {@code ArenaStatsExporter.builder().file(path).build()}, then
 * {@link #register(ArenaStatsPublisher)} for a lone arena or {@link #register(AllocatorStatsPublisher)} for an
 * allocator (its allocator figures and every arena it holds, followed as arenas come and go).
 *
 * <h2>Vocabulary</h2>
 * <b>registration</b>: an arena's {@link ArenaStatsPublisher} with its {@link ArenaFigures#COUNT} counters in
 * the file. <b>allocator registration</b>: an {@link AllocatorStatsPublisher} with its {@link AllocatorFigures#COUNT}
 * counters; the registrations of its arenas carry its registration id. <b>publish</b>: one copy of every
 * registration's figures into the file, plus the heartbeat.
 *
 * <h2>Layout (the file in full: {@link StatsFile})</h2>
 * <pre>
 *   0        256                      256 + 4V                  256 + 5V
 *   | header | counters metadata (4V) | counters values (V)     |     V = maxCounters x 128
 *   registration r (registration id r.id) owns counter ids r.counterIds[0 .. COUNT-1]:
 *     values[counterOffset(r.counterIds[f])] = figure f of r's arena;
 *     key = (arena id, f, r.id, name, allocator registration id or 0)
 *   allocator registration g owns counter ids g.counterIds[0 .. AllocatorFigures.COUNT-1]:
 *     values[counterOffset(g.counterIds[f])] = allocator figure f; key = (-1, f, g.id, name, 0)
 * </pre>
 * Export is off unless an exporter is built; {@link #enabledBySystemProperty()} lets an allocator builder
 * wire it to the single switch {@value #PROP_EXPORT}.
 *
 * <h2>Threading contract</h2>
 * <ul>
 *   <li>The exporter is the file's single writer. {@link #register}, {@link #unregister}, {@link #publish()} and
 *   {@link #close()} are thread safe (one lock; the arenas' owners never take it).</li>
 *   <li>It reads each arena through {@link ArenaStatsPublisher#copyFigures(long[])} (opaque loads), so arena
 *   owners pay nothing for the export; their only duty is to call {@link ArenaStatsPublisher#publishIfDue(long)}
 *   now and then to refresh the owner figures.</li>
 *   <li>With {@code intervalMillis > 0} a daemon thread named {@value #THREAD_NAME} publishes at that interval;
 *   with 0, only calls to {@link #publish()} do.</li>
 *   <li>{@link #publish()} allocates nothing in steady state (an allocator whose arenas come and go costs a new
 *   publisher and registration per new arena).</li>
 * </ul>
 *
 * <h2>Algorithm of a publish</h2>
 * <ol>
 *   <li>For each allocator registration (index order, no iterator): if the allocator is closed, free its counters
 *   and drop it (its arenas, closed with it, go in step 2). Else refresh its arenas
 *   ({@link AllocatorStatsPublisher#refreshArenas()}); if its arena version changed, register each of its arenas
 *   not registered yet (an arena that does not fit in the file is skipped, with one warning per allocator); copy
 *   its allocator figures into a scratch vector and release-store each into its counter.</li>
 *   <li>For each registration (index order, no iterator): if its arena is closed, free its counters and drop
 *   it; else copy its figures into a scratch vector and release-store each into its counter.</li>
 *   <li>Heap maps: if the header's request number changed, pass it to every publisher of a lone arena (their
 *   owners write the maps at their next publish; an allocator's arenas have no owner-side publish and are left
 *   out); once every such publisher has served it, release-store it as served.</li>
 *   <li>Store the publish count, then release-store the heartbeat (wall clock, ms).</li>
 * </ol>
 */
public final class ArenaStatsExporter implements AutoCloseable
{
    /** Default counters capacity: 8192, room for 92 arenas of {@link ArenaFigures#COUNT} counters; 5 MiB file. */
    public static final int DEFAULT_MAX_COUNTERS = 8192;
    public static final String PROP_MAX_COUNTERS = "arena.stats.maxCounters";
    public static final int MAX_MAX_COUNTERS = 1 << 20;
    /** Default publish interval of the exporter's thread: 1 second. */
    public static final long DEFAULT_INTERVAL_MILLIS = 1_000;
    public static final String PROP_INTERVAL_MILLIS = "arena.stats.exportIntervalMillis";
    /** Default file: {@code <java.io.tmpdir>/arena-stats-<pid>.dat}. */
    public static final String PROP_FILE = "arena.stats.file";
    public static final String DEFAULT_FILE_PREFIX = "arena-stats-";
    public static final String DEFAULT_FILE_SUFFIX = ".dat";
    public static final boolean DEFAULT_DELETE_ON_CLOSE = false;
    public static final String PROP_DELETE_ON_CLOSE = "arena.stats.deleteOnClose";
    public static final String THREAD_NAME = "arena-stats-exporter";
    /** The switch for allocators that offer export as one option: "true" turns it on. Default off. */
    public static final String PROP_EXPORT = "arena.stats.export";
    public static final boolean DEFAULT_EXPORT = false;

    private final Path file;
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final CountersManager countersManager;
    private final UnsafeBuffer values;
    private final long intervalMillis;
    private final boolean deleteOnClose;
    private final ArrayList<Registration> registrations = new ArrayList<>();
    private final ArrayList<AllocatorRegistration> allocators = new ArrayList<>();
    private final long[] scratch = new long[ArenaFigures.COUNT];
    private final long[] allocatorScratch = new long[AllocatorFigures.COUNT];
    private final Thread thread;
    private long nextRegistrationId = 1;
    private long publishCount;
    private long heapMapRequestSeen;
    private volatile boolean closed;

    private ArenaStatsExporter(final Builder b)
    {
        this.file = b.file != null ? b.file : defaultFile();
        this.intervalMillis = b.intervalMillis;
        this.deleteOnClose = b.deleteOnClose;
        final int valuesLength = StatsFile.valuesLength(b.maxCounters);
        final int metaLength = valuesLength * StatsFile.METADATA_RATIO;
        try
        {
            final Path parent = file.toAbsolutePath().getParent();
            if (parent != null)
            {
                Files.createDirectories(parent);
            }
            Files.deleteIfExists(file);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot create the stats file " + file + ": " + ex, ex);
        }
        this.mapped = IoUtil.mapNewFile(file.toFile(), StatsFile.fileLength(b.maxCounters));
        this.header = new UnsafeBuffer(mapped, 0, StatsFile.HEADER_LENGTH);
        final UnsafeBuffer meta = new UnsafeBuffer(mapped, StatsFile.HEADER_LENGTH, metaLength);
        this.values = new UnsafeBuffer(mapped, StatsFile.HEADER_LENGTH + metaLength, valuesLength);
        this.countersManager = new CountersManager(meta, values, StandardCharsets.US_ASCII);

        final long now = System.currentTimeMillis();
        header.putLong(StatsFile.MAGIC_OFFSET, StatsFile.MAGIC);
        header.putInt(StatsFile.HEADER_LENGTH_OFFSET, StatsFile.HEADER_LENGTH);
        header.putInt(StatsFile.METADATA_LENGTH_OFFSET, metaLength);
        header.putInt(StatsFile.VALUES_LENGTH_OFFSET, valuesLength);
        header.putLong(StatsFile.PID_OFFSET, ProcessHandle.current().pid());
        header.putLong(StatsFile.START_MILLIS_OFFSET, now);
        header.putLong(StatsFile.HEARTBEAT_MILLIS_OFFSET, now);
        header.putLong(StatsFile.INTERVAL_MILLIS_OFFSET, intervalMillis);
        header.putInt(StatsFile.FIGURE_COUNT_OFFSET, ArenaFigures.COUNT);
        header.putInt(StatsFile.ALLOCATOR_FIGURE_COUNT_OFFSET, AllocatorFigures.COUNT);
        final byte[] description = b.description.getBytes(StandardCharsets.US_ASCII);
        header.putInt(StatsFile.DESCRIPTION_LENGTH_OFFSET, description.length);
        header.putBytes(StatsFile.DESCRIPTION_OFFSET, description);
        header.putIntRelease(StatsFile.VERSION_OFFSET, StatsFile.LAYOUT_VERSION);

        if (intervalMillis > 0)
        {
            thread = new Thread(this::run, THREAD_NAME);
            thread.setDaemon(true);
            thread.start();
        }
        else
        {
            thread = null;
        }
    }

    public static Builder builder()
    {
        return new Builder();
    }

    /** @return {@code <java.io.tmpdir>/arena-stats-<pid>.dat}, or the path in {@value #PROP_FILE}. */
    public static Path defaultFile()
    {
        final String configured = System.getProperty(PROP_FILE);
        if (configured != null && !configured.isEmpty())
        {
            return Paths.get(configured);
        }
        return Paths.get(System.getProperty("java.io.tmpdir"),
            DEFAULT_FILE_PREFIX + ProcessHandle.current().pid() + DEFAULT_FILE_SUFFIX);
    }

    /** @return true when {@value #PROP_EXPORT} is "true" (default {@value #DEFAULT_EXPORT}). */
    public static boolean enabledBySystemProperty()
    {
        return SystemProperties.booleanValue(PROP_EXPORT, DEFAULT_EXPORT);
    }

    public Path file()
    {
        return file;
    }

    public long intervalMillis()
    {
        return intervalMillis;
    }

    /**
     * Registers an arena: allocates its counters in the file and publishes its figures once.
     *
     * @throws IllegalStateException when the file has no room left (the message names the numbers) or is closed.
     * @throws IllegalArgumentException when the publisher is already registered.
     */
    public synchronized void register(final ArenaStatsPublisher publisher)
    {
        checkOpen();
        if (isRegistered(publisher))
        {
            throw new IllegalArgumentException("publisher " + publisher.name() + " is already registered");
        }
        register(publisher, 0);
    }

    private boolean isRegistered(final ArenaStatsPublisher publisher)
    {
        for (int i = 0; i < registrations.size(); i++)
        {
            if (registrations.get(i).publisher == publisher)
            {
                return true;
            }
        }
        return false;
    }

    private void register(final ArenaStatsPublisher publisher, final long allocatorRegistrationId)
    {
        final int available = countersManager.available();
        if (available < ArenaFigures.COUNT)
        {
            throw new IllegalStateException("stats file " + file + " is full: capacity=" + countersManager.capacity() +
                " counters, available=" + available + ", an arena needs " + ArenaFigures.COUNT + "; raise maxCounters (" +
                PROP_MAX_COUNTERS + ")");
        }
        final long registrationId = nextRegistrationId++;
        final String name = publisher.name();
        final int arenaId = publisher.arenaId();
        final int[] ids = new int[ArenaFigures.COUNT];
        for (int f = 0; f < ArenaFigures.COUNT; f++)
        {
            final int figure = f;
            ids[f] = countersManager.allocate(name + ": " + ArenaFigures.name(f), StatsFile.FIGURE_TYPE_ID, key ->
            {
                key.putInt(StatsFile.KEY_ARENA_ID_OFFSET, arenaId);
                key.putInt(StatsFile.KEY_FIGURE_ID_OFFSET, figure);
                key.putLong(StatsFile.KEY_REGISTRATION_ID_OFFSET, registrationId);
                key.putInt(StatsFile.KEY_NAME_LENGTH_OFFSET, name.length());
                key.putStringWithoutLengthAscii(StatsFile.KEY_NAME_OFFSET, name);
                key.putLong(StatsFile.KEY_ALLOCATOR_REGISTRATION_ID_OFFSET, allocatorRegistrationId);
            });
            countersManager.setCounterRegistrationId(ids[f], registrationId);
        }
        final Registration r = new Registration(publisher, ids, allocatorRegistrationId);
        registrations.add(r);
        write(r);
    }

    /**
     * Registers an allocator: allocates its allocator figures' counters in the file, registers every arena it holds
     * now (later ones at each publish) and publishes once.
     *
     * @throws IllegalStateException when the file has no room for the allocator figures or for its arenas (the
     * message names the numbers), or is closed.
     * @throws IllegalArgumentException when the publisher is already registered.
     */
    public synchronized void register(final AllocatorStatsPublisher publisher)
    {
        checkOpen();
        if (publisher == null)
        {
            throw new IllegalArgumentException("publisher=null, expected an AllocatorStatsPublisher");
        }
        for (int i = 0; i < allocators.size(); i++)
        {
            if (allocators.get(i).publisher == publisher)
            {
                throw new IllegalArgumentException("allocator publisher " + publisher.name() + " is already registered");
            }
        }
        publisher.refreshArenas();
        final int[] arenaCount = new int[1];
        publisher.forEachArena(p -> arenaCount[0] += isRegistered(p) ? 0 : 1);
        final int needed = AllocatorFigures.COUNT + arenaCount[0] * ArenaFigures.COUNT;
        final int available = countersManager.available();
        if (available < needed)
        {
            throw new IllegalStateException("stats file " + file + " is full: capacity=" + countersManager.capacity() +
                " counters, available=" + available + ", allocator " + publisher.name() + " needs " + needed + " (" +
                AllocatorFigures.COUNT + " + " + arenaCount[0] + " arenas x " + ArenaFigures.COUNT + "); raise maxCounters (" +
                PROP_MAX_COUNTERS + ")");
        }
        final long registrationId = nextRegistrationId++;
        final String name = publisher.name();
        final int[] ids = new int[AllocatorFigures.COUNT];
        for (int f = 0; f < AllocatorFigures.COUNT; f++)
        {
            final int figure = f;
            ids[f] = countersManager.allocate(name + ": " + AllocatorFigures.name(f), StatsFile.ALLOCATOR_TYPE_ID, key ->
            {
                key.putInt(StatsFile.KEY_ARENA_ID_OFFSET, -1);
                key.putInt(StatsFile.KEY_FIGURE_ID_OFFSET, figure);
                key.putLong(StatsFile.KEY_REGISTRATION_ID_OFFSET, registrationId);
                key.putInt(StatsFile.KEY_NAME_LENGTH_OFFSET, name.length());
                key.putStringWithoutLengthAscii(StatsFile.KEY_NAME_OFFSET, name);
                key.putLong(StatsFile.KEY_ALLOCATOR_REGISTRATION_ID_OFFSET, 0);
            });
            countersManager.setCounterRegistrationId(ids[f], registrationId);
        }
        final AllocatorRegistration g = new AllocatorRegistration(publisher, ids, registrationId);
        allocators.add(g);
        write(g);
    }

    /**
     * Removes an allocator: frees its allocator figures' counters and those of its arenas.
     *
     * @return false when it was not registered.
     */
    public synchronized boolean unregister(final AllocatorStatsPublisher publisher)
    {
        for (int i = 0; i < allocators.size(); i++)
        {
            final AllocatorRegistration g = allocators.get(i);
            if (g.publisher == publisher)
            {
                allocators.remove(i);
                free(g.counterIds);
                for (int j = registrations.size() - 1; j >= 0; j--)
                {
                    if (registrations.get(j).allocatorRegistrationId == g.registrationId)
                    {
                        free(registrations.remove(j));
                    }
                }
                return true;
            }
        }
        return false;
    }

    /** @return the allocator publishers registered now. */
    public synchronized java.util.List<AllocatorStatsPublisher> allocatorPublishers()
    {
        final java.util.List<AllocatorStatsPublisher> list = new ArrayList<>(allocators.size());
        for (int i = 0; i < allocators.size(); i++)
        {
            list.add(allocators.get(i).publisher);
        }
        return list;
    }

    /** Step 1 of a publish for one allocator (see the class comment); the arena registrations follow in step 2. */
    private void write(final AllocatorRegistration g)
    {
        final AllocatorStatsPublisher publisher = g.publisher;
        publisher.refreshArenas();
        final long version = publisher.arenaVersion();
        if (version != g.arenaVersionSeen)
        {
            g.arenaVersionSeen = version;
            publisher.forEachArena(g.registerArena);
        }
        publisher.copyFigures(allocatorScratch);
        final int[] ids = g.counterIds;
        for (int f = 0; f < ids.length; f++)
        {
            values.putLongRelease(org.agrona.concurrent.status.CountersReader.counterOffset(ids[f]), allocatorScratch[f]);
        }
    }

    /** Registers an arena of {@code g}'s allocator unless it is registered or closed; warns once when out of room. */
    private void registerArena(final AllocatorRegistration g, final ArenaStatsPublisher arena)
    {
        if (arena.arena().isClosed() || isRegistered(arena))
        {
            return;
        }
        try
        {
            register(arena, g.registrationId);
        }
        catch (final IllegalStateException ex)
        {
            g.arenaVersionSeen = -1; // try again at the next publish
            if (!g.warnedFull)
            {
                g.warnedFull = true;
                org.slf4j.LoggerFactory.getLogger(ArenaStatsExporter.class).warn(
                    "arena {} of allocator {} is not exported: {}", arena.name(), g.publisher.name(), ex.getMessage());
            }
        }
    }

    /** Removes an arena and frees its counters. @return false when it was not registered. */
    public synchronized boolean unregister(final ArenaStatsPublisher publisher)
    {
        for (int i = 0; i < registrations.size(); i++)
        {
            if (registrations.get(i).publisher == publisher)
            {
                free(registrations.remove(i));
                return true;
            }
        }
        return false;
    }

    /** @return the publishers registered now. */
    public synchronized java.util.List<ArenaStatsPublisher> publishers()
    {
        final java.util.List<ArenaStatsPublisher> list = new ArrayList<>(registrations.size());
        for (int i = 0; i < registrations.size(); i++)
        {
            list.add(registrations.get(i).publisher);
        }
        return list;
    }

    /** Copies every registered arena's figures into the file now, and beats the heartbeat. Any thread. */
    public synchronized void publish()
    {
        if (closed)
        {
            return;
        }
        for (int i = allocators.size() - 1; i >= 0; i--)
        {
            final AllocatorRegistration g = allocators.get(i);
            if (g.publisher.isClosed())
            {
                free(allocators.remove(i).counterIds);
            }
            else
            {
                write(g);
            }
        }
        for (int i = registrations.size() - 1; i >= 0; i--)
        {
            final Registration r = registrations.get(i);
            if (r.publisher.arena().isClosed())
            {
                free(registrations.remove(i));
            }
            else
            {
                write(r);
            }
        }
        serveHeapMapRequests();
        header.putLongRelease(StatsFile.PUBLISH_COUNT_OFFSET, ++publishCount);
        header.putLongRelease(StatsFile.HEARTBEAT_MILLIS_OFFSET, System.currentTimeMillis());
    }

    private void write(final Registration r)
    {
        r.publisher.copyFigures(scratch);
        final int[] ids = r.counterIds;
        for (int f = 0; f < ids.length; f++)
        {
            values.putLongRelease(org.agrona.concurrent.status.CountersReader.counterOffset(ids[f]), scratch[f]);
        }
    }

    private void free(final Registration r)
    {
        free(r.counterIds);
    }

    private void free(final int[] counterIds)
    {
        for (final int id : counterIds)
        {
            countersManager.free(id);
        }
    }

    private void serveHeapMapRequests()
    {
        final long request = header.getLongVolatile(StatsFile.HEAP_MAP_REQUEST_OFFSET);
        if (request != heapMapRequestSeen)
        {
            heapMapRequestSeen = request;
            for (int i = 0; i < registrations.size(); i++)
            {
                final Registration r = registrations.get(i);
                if (r.allocatorRegistrationId != 0)
                {
                    continue; // nobody publishes on an allocator arena's owner thread: it cannot serve a request
                }
                r.heapMapRequest = request;
                r.publisher.requestHeapMap(request, StatsFile.heapMapPath(file, r.publisher.name()));
            }
        }
        if (request != 0 && header.getLongVolatile(StatsFile.HEAP_MAP_SERVED_OFFSET) != request)
        {
            for (int i = 0; i < registrations.size(); i++)
            {
                final Registration r = registrations.get(i);
                if (r.allocatorRegistrationId == 0 && r.publisher.heapMapDone() != r.heapMapRequest)
                {
                    return;
                }
            }
            header.putLongRelease(StatsFile.HEAP_MAP_SERVED_OFFSET, request);
        }
    }

    private void run()
    {
        final long intervalNanos = intervalMillis * 1_000_000L;
        while (!closed)
        {
            LockSupport.parkNanos(intervalNanos);
            if (!closed)
            {
                try
                {
                    publish();
                }
                catch (final RuntimeException ex)
                {
                    org.slf4j.LoggerFactory.getLogger(ArenaStatsExporter.class).warn("publish to {} failed", file, ex);
                }
            }
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("exporter of " + file + " is closed");
        }
    }

    /**
     * Publishes a last time, marks the file closed (readers report "closed"), stops the thread and unmaps the
     * file; deletes it when so configured. Idempotent.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            publish();
            closed = true;
            header.putLongRelease(StatsFile.CLOSED_MILLIS_OFFSET, System.currentTimeMillis());
        }
        if (thread != null)
        {
            LockSupport.unpark(thread);
            try
            {
                thread.join(5_000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this)
        {
            registrations.clear();
            allocators.clear();
            IoUtil.unmap(mapped);
            if (deleteOnClose)
            {
                IoUtil.delete(file.toFile(), true);
            }
        }
    }

    public String toString()
    {
        return "ArenaStatsExporter{file=" + file + ", intervalMillis=" + intervalMillis + ", closed=" + closed + '}';
    }

    private static final class Registration
    {
        final ArenaStatsPublisher publisher;
        final int[] counterIds;
        final long allocatorRegistrationId;
        long heapMapRequest;

        Registration(final ArenaStatsPublisher publisher, final int[] counterIds, final long allocatorRegistrationId)
        {
            this.publisher = publisher;
            this.counterIds = counterIds;
            this.allocatorRegistrationId = allocatorRegistrationId;
        }
    }

    private final class AllocatorRegistration
    {
        final AllocatorStatsPublisher publisher;
        final int[] counterIds;
        final long registrationId;
        /** Made once: registering new arenas allocates nothing more than the registrations themselves. */
        final java.util.function.Consumer<ArenaStatsPublisher> registerArena;
        long arenaVersionSeen = -1;
        boolean warnedFull;

        AllocatorRegistration(final AllocatorStatsPublisher publisher, final int[] counterIds, final long registrationId)
        {
            this.publisher = publisher;
            this.counterIds = counterIds;
            this.registrationId = registrationId;
            this.registerArena = arena -> registerArena(this, arena);
        }
    }

    /** Validating builder; options have DEFAULT_* constants and system properties. Not thread safe. */
    public static final class Builder
    {
        private Path file;
        private int maxCounters = SystemProperties.intValue(PROP_MAX_COUNTERS, DEFAULT_MAX_COUNTERS);
        private long intervalMillis = SystemProperties.longValue(PROP_INTERVAL_MILLIS, DEFAULT_INTERVAL_MILLIS);
        private boolean deleteOnClose =
            SystemProperties.booleanValue(PROP_DELETE_ON_CLOSE, DEFAULT_DELETE_ON_CLOSE);
        private String description = defaultDescription();

        private Builder()
        {
        }

        /** The counters file; replaced if it exists. Default {@link #defaultFile()}. */
        public Builder file(final Path file)
        {
            if (file == null || file.getFileName() == null)
            {
                throw new IllegalArgumentException("file=" + file + ", expected a file path");
            }
            this.file = file;
            return this;
        }

        /** Counter slots in the file: {@link ArenaFigures#COUNT} .. 2^20. Default {@value #DEFAULT_MAX_COUNTERS}. */
        public Builder maxCounters(final int maxCounters)
        {
            if (maxCounters < ArenaFigures.COUNT || maxCounters > MAX_MAX_COUNTERS)
            {
                throw new IllegalArgumentException("maxCounters=" + maxCounters + ", expected " + ArenaFigures.COUNT + ".." +
                    MAX_MAX_COUNTERS);
            }
            this.maxCounters = maxCounters;
            return this;
        }

        /** Publish interval of the exporter's thread, 0 (no thread: publish on call) .. 1 hour. Default 1000 ms. */
        public Builder intervalMillis(final long intervalMillis)
        {
            if (intervalMillis < 0 || intervalMillis > 3_600_000L)
            {
                throw new IllegalArgumentException("intervalMillis=" + intervalMillis + ", expected 0..3600000");
            }
            this.intervalMillis = intervalMillis;
            return this;
        }

        /** Delete the file on {@link #close()}. Default false (so readers can still show the last figures). */
        public Builder deleteOnClose(final boolean deleteOnClose)
        {
            this.deleteOnClose = deleteOnClose;
            return this;
        }

        /** Shown by arena-stat: printable ASCII, at most {@value StatsFile#MAX_DESCRIPTION_LENGTH} characters. */
        public Builder description(final String description)
        {
            if (description == null || description.length() > StatsFile.MAX_DESCRIPTION_LENGTH ||
                !description.chars().allMatch(c -> c >= 0x20 && c < 0x7F))
            {
                throw new IllegalArgumentException("description=" + description + ", expected at most " +
                    StatsFile.MAX_DESCRIPTION_LENGTH + " printable ASCII characters");
            }
            this.description = description;
            return this;
        }

        public ArenaStatsExporter build()
        {
            maxCounters(maxCounters);
            intervalMillis(intervalMillis);
            return new ArenaStatsExporter(this);
        }

        private static String defaultDescription()
        {
            final String command = System.getProperty("sun.java.command", "java");
            final String first = command.isEmpty() ? "java" : command.split(" ", 2)[0];
            final StringBuilder sb = new StringBuilder();
            for (int i = 0; i < first.length() && sb.length() < StatsFile.MAX_DESCRIPTION_LENGTH; i++)
            {
                final char c = first.charAt(i);
                sb.append(c >= 0x20 && c < 0x7F ? c : '?');
            }
            return sb.toString();
        }
    }
}
