package io.arenaalloc.stats;

import org.agrona.concurrent.status.CountersReader;

import java.nio.file.Path;

/**
 * Layout of the counters file that {@link ArenaStatsExporter} writes and {@link StatsFileReader} (and so
 * {@code arena-stat}) reads: a fixed header, then an Agrona counters metadata buffer and values buffer, in
 * the way Aeron's command-and-control file carries its counters.
 *
 * <h2>Vocabulary</h2>
 * <ul>
 *   <li><b>header</b>: the first {@value #HEADER_LENGTH} bytes, described below.</li>
 *   <li><b>counter</b> (Agrona's sense): one 128-byte slot in the values buffer and its 512-byte metadata
 *   record (state, type id, 112-byte key, label), managed by {@link org.agrona.concurrent.status.CountersManager}.</li>
 *   <li><b>registration</b>: one arena registered with the exporter; it owns {@link ArenaFigures#COUNT}
 *   counters, one per figure, all with type id {@value #FIGURE_TYPE_ID}.</li>
 *   <li><b>allocator registration</b>: one {@code ArenaAllocator} registered with the exporter; it owns
 *   {@link AllocatorFigures#COUNT} counters, one per allocator figure, all with type id
 *   {@value #ALLOCATOR_TYPE_ID}; each of its arenas is a registration of its own whose key names it.</li>
 * </ul>
 *
 * <h2>File layout (all integers little-endian, as Agrona writes them on x86 and AArch64)</h2>
 * <pre>
 *   offset  size  field
 *   0       8     magic             {@link #MAGIC} ("ARENASTF" in ASCII)
 *   8       4     layout version    {@link #LAYOUT_VERSION}; written LAST, with a release store: 0 = not ready
 *   12      4     header length     {@value #HEADER_LENGTH}
 *   16      4     metadata length   M = 4 x V (Agrona needs METADATA_LENGTH / COUNTER_LENGTH = 4 x the values)
 *   20      4     values length     V = maxCounters x 128
 *   24      8     pid               of the writing process
 *   32      8     start ms          epoch ms the file was created
 *   40      8     heartbeat ms      epoch ms of the last publish (release store)
 *   48      8     interval ms       publish interval of the exporter's thread; 0 = publishes only on call
 *   56      8     closed ms         0 while open; epoch ms of the exporter's close (release store)
 *   64      8     publish count     publishes so far
 *   72      4     figure count      {@link ArenaFigures#COUNT} of the writer
 *   76      4     allocator figure count  {@link AllocatorFigures#COUNT} of the writer (layout version 2 on)
 *   80      8     heap map request  arena-stat increments it (a compare-and-set) to ask for heap maps
 *   88      8     heap map served   the exporter release-stores the request it has fully served
 *   96      4     description length (bytes, at most {@value #MAX_DESCRIPTION_LENGTH})
 *   100     156   description       ASCII, e.g. the main class of the writing process
 *   256     M     counters metadata buffer (Agrona)
 *   256+M   V     counters values buffer (Agrona)
 * </pre>
 *
 * <h2>Key of each counter (in the metadata record's 112-byte key)</h2>
 * <pre>
 *   type {@value #FIGURE_TYPE_ID} (arena figure)         type {@value #ALLOCATOR_TYPE_ID} (allocator figure)
 *   0   4   arena id                             -1
 *   4   4   figure id (ArenaFigures)             figure id (AllocatorFigures)
 *   8   8   registration id (also stored as Agrona's registration id of the counter)
 *   16  4   name length n (&lt;= {@value #MAX_NAME_LENGTH})
 *   20  n   arena name, ASCII                    allocator name, ASCII
 *   88  8   registration id of the arena's       0
 *           allocator; 0 for an arena registered
 *           on its own
 * </pre>
 * The label is {@code "<arena or allocator name>: <figure name>"}, so any Agrona counters reader prints something
 * useful.
 *
 * <h2>Protocol</h2>
 * <ol>
 *   <li>The writer creates a new file (any old file at the path is deleted first, so a reader still mapping
 *   it keeps the old inode), writes every header field but the version, then release-stores the version.</li>
 *   <li>A reader checks the length, the magic and the version (waiting briefly while it is 0), then the
 *   lengths, and wraps the two buffers in a {@link CountersReader}.</li>
 *   <li>Each publish writes values (release stores), then the publish count and the heartbeat.</li>
 *   <li>Close release-stores the closed time; a process that dies without closing leaves it 0, and readers
 *   find out from the pid (see {@link StatsFileReader#liveness(long)}).</li>
 * </ol>
 */
public final class StatsFile
{
    /** "ARENASTF" as a little-endian long. */
    public static final long MAGIC = 0x4654_5341_4E45_5241L;
    /** 1: arena figures only; 2: adds allocator figures (type {@value #ALLOCATOR_TYPE_ID}) and the key's offset 88. */
    public static final int LAYOUT_VERSION = 2;
    public static final int HEADER_LENGTH = 256;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 8;
    public static final int HEADER_LENGTH_OFFSET = 12;
    public static final int METADATA_LENGTH_OFFSET = 16;
    public static final int VALUES_LENGTH_OFFSET = 20;
    public static final int PID_OFFSET = 24;
    public static final int START_MILLIS_OFFSET = 32;
    public static final int HEARTBEAT_MILLIS_OFFSET = 40;
    public static final int INTERVAL_MILLIS_OFFSET = 48;
    public static final int CLOSED_MILLIS_OFFSET = 56;
    public static final int PUBLISH_COUNT_OFFSET = 64;
    public static final int FIGURE_COUNT_OFFSET = 72;
    public static final int ALLOCATOR_FIGURE_COUNT_OFFSET = 76;
    public static final int HEAP_MAP_REQUEST_OFFSET = 80;
    public static final int HEAP_MAP_SERVED_OFFSET = 88;
    public static final int DESCRIPTION_LENGTH_OFFSET = 96;
    public static final int DESCRIPTION_OFFSET = 100;
    public static final int MAX_DESCRIPTION_LENGTH = HEADER_LENGTH - DESCRIPTION_OFFSET;

    /** Agrona type id of every figure counter. */
    public static final int FIGURE_TYPE_ID = 0x4152;
    /** Agrona type id of every allocator figure counter. */
    public static final int ALLOCATOR_TYPE_ID = 0x4153;
    public static final int KEY_ARENA_ID_OFFSET = 0;
    public static final int KEY_FIGURE_ID_OFFSET = 4;
    public static final int KEY_REGISTRATION_ID_OFFSET = 8;
    public static final int KEY_NAME_LENGTH_OFFSET = 16;
    public static final int KEY_NAME_OFFSET = 20;
    public static final int MAX_NAME_LENGTH = 64;

    /**
     * Checks a display name: 1..{@code max} printable ASCII characters.
     * @return {@code name}.
     * @throws IllegalArgumentException naming the value and what was expected.
     */
    static String checkName(final String name, final int max)
    {
        if (name == null || name.isEmpty() || name.length() > max || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7F))
        {
            throw new IllegalArgumentException("name=" + name + ", expected 1.." + max + " printable ASCII characters");
        }
        return name;
    }
    public static final int KEY_ALLOCATOR_REGISTRATION_ID_OFFSET = 88;

    /** Metadata bytes per values byte. */
    public static final int METADATA_RATIO = CountersReader.METADATA_LENGTH / CountersReader.COUNTER_LENGTH;

    private StatsFile()
    {
    }

    /** @return the values buffer length for {@code maxCounters} counters. */
    public static int valuesLength(final int maxCounters)
    {
        return maxCounters * CountersReader.COUNTER_LENGTH;
    }

    /** @return the whole file's length for {@code maxCounters} counters. */
    public static long fileLength(final int maxCounters)
    {
        return HEADER_LENGTH + (long)valuesLength(maxCounters) * (METADATA_RATIO + 1);
    }

    /** @return where the heap map of arena {@code arenaName} is written on request: beside the counters file. */
    public static Path heapMapPath(final Path statsFile, final String arenaName)
    {
        final StringBuilder safe = new StringBuilder();
        for (int i = 0; i < arenaName.length(); i++)
        {
            final char c = arenaName.charAt(i);
            safe.append(Character.isLetterOrDigit(c) || c == '-' || c == '_' ? c : '_');
        }
        return statsFile.resolveSibling(statsFile.getFileName() + "." + safe + ".png");
    }
}
