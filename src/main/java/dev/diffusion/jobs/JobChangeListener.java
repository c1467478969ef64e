package dev.diffusion.jobs;

/**
 * Told of each change of a job in the process that makes it, before the change is published as a {@link JobEvent}.
 * Unlike subscribers, listeners also hear an ending again from the worker that takes over a job whose last worker
 * died after storing the ending and before acknowledging it, so what they do with it happens at least once.
 * Listeners must be quick; what they throw is logged and does not stop the change.
 */
public interface JobChangeListener {

    /**
     * @param type one of the {@link JobEvent} types ({@code queued}, {@code started}, {@code progress},
     *             {@code succeeded}, {@code failed}, {@code cancelled})
     * @param job  the job as it stands after the change
     */
    void changed(String type, Job job);
}
