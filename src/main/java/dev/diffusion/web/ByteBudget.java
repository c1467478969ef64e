package dev.diffusion.web;

/**
 * Memory shared by requests at once (bodies being received, images being decoded): a request takes its bytes or is
 * turned away, and gives them back when done. A single taker larger than the whole budget may go alone.
 */
public final class ByteBudget {

    private final long capacity;
    private long taken;

    public ByteBudget(long capacity) {
        this.capacity = capacity;
    }

    /** Takes {@code bytes} if they fit beside what others hold now (or nothing else is held); never waits. */
    public synchronized boolean tryTake(long bytes) {
        if (taken > 0 && taken + bytes > capacity) {
            return false;
        }
        taken += bytes;
        return true;
    }

    public synchronized void giveBack(long bytes) {
        taken -= bytes;
    }
}
