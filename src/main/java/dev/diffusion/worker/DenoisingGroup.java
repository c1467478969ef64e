package dev.diffusion.worker;

import dev.diffusion.jobs.GenerationSpec;
import dev.diffusion.jobs.Job;
import dev.diffusion.pipeline.DiffusionPipeline;
import dev.diffusion.pipeline.GeneratedImage;
import dev.diffusion.pipeline.ImageSampling;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * The jobs that share a worker's UNet calls: all of one model and one image size. {@link #step} advances every
 * image of every member with ONE call, each at its own timestep with its own text rows, guidance, scheduler and seed;
 * {@link #decode} turns the images wanted after a step into pixels with as few VAE calls as memory allows (and
 * finishes them, as each member's job wants them). It drives the engine only: what the outcome means for each job is
 * the batcher's to say.
 */
final class DenoisingGroup {

    /**
     * A job in the group: its images advance together, so the first one tells the job's progress.
     *
     * @param finish what becomes of each decoded image before the job has it (inpainting's overlay on the input)
     */
    record Member(Job job, DiffusionPipeline pipeline, List<ImageSampling> images, Instant deadline,
            UnaryOperator<GeneratedImage> finish) {

        boolean done() {
            return images.get(0).done();
        }

        int stepsDone() {
            return images.get(0).stepsDone();
        }

        int totalSteps() {
            return images.get(0).totalSteps();
        }
    }

    /** What a decode gave: pixels per member, and the members whose decoding failed. */
    record Decoded(Map<Member, List<GeneratedImage>> images, Map<Member, RuntimeException> failures) {
    }

    private final List<Member> members = new ArrayList<>();
    /** The worker time this group's steps have taken, counted from the least of the groups' when it started. */
    private long usedNanos;
    /** When it last stepped, in the worker's count of steps: of two groups with equal time, the staler goes first. */
    private long lastTurn;

    /** @param usedNanos the time it starts with: the least any running group has had, so it brings no credit */
    DenoisingGroup(long usedNanos) {
        this.usedNanos = usedNanos;
    }

    long usedNanos() {
        return usedNanos;
    }

    long lastTurn() {
        return lastTurn;
    }

    /** Counts a step of {@code nanos} taken as the worker's {@code turn}th step. */
    void charge(long nanos, long turn) {
        usedNanos += nanos;
        lastTurn = turn;
    }

    List<Member> members() {
        return List.copyOf(members);
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    int size() {
        return members.size();
    }

    void add(Member member) {
        members.add(member);
    }

    void remove(Member member) {
        members.remove(member);
    }

    /** The group's model and image size, as logs name them; the group must not be empty. */
    String label() {
        GenerationSpec spec = members.get(0).job().spec();
        return spec.model() + " " + spec.width() + "×" + spec.height();
    }

    /** Any job fits an empty group; otherwise only jobs of the group's model and image size share its UNet calls. */
    boolean fits(GenerationSpec spec) {
        if (members.isEmpty()) {
            return true;
        }
        GenerationSpec group = members.get(0).job().spec();
        return spec.model().equals(group.model()) && spec.width() == group.width() && spec.height() == group.height();
    }

    /**
     * One UNet call for every image of every member. Returns the members whose images failed (a scheduler or its rows
     * went wrong), each with its cause; the others advanced. Throws only if the call itself failed.
     */
    Map<Member, RuntimeException> step() {
        DiffusionPipeline pipeline = members.get(0).pipeline();
        Map<ImageSampling, RuntimeException> failed =
                pipeline.step(members.stream().flatMap(member -> member.images().stream()).toList());
        Map<Member, RuntimeException> failures = new LinkedHashMap<>();
        for (Member member : members) {
            member.images().stream().map(failed::get).filter(Objects::nonNull).findFirst()
                    .ifPresent(cause -> failures.put(member, cause));
        }
        return failures;
    }

    /**
     * Decodes the wanted images of several members, as few VAE calls as {@code maxImagesPerCall} (what the worker's
     * memory allows) lets it: one for all of them when they fit. If a call fails, each of its members is decoded
     * alone, so that only the member at fault fails.
     */
    Decoded decode(Map<Member, List<ImageSampling>> wanted, int maxImagesPerCall) {
        Decoded decoded = new Decoded(new LinkedHashMap<>(), new LinkedHashMap<>());
        List<Member> together = new ArrayList<>();
        int images = 0;
        for (Map.Entry<Member, List<ImageSampling>> entry : wanted.entrySet()) {
            if (!together.isEmpty() && images + entry.getValue().size() > maxImagesPerCall) {
                decodeTogether(together, wanted, maxImagesPerCall, decoded);
                together.clear();
                images = 0;
            }
            together.add(entry.getKey());
            images += entry.getValue().size();
        }
        if (!together.isEmpty()) {
            decodeTogether(together, wanted, maxImagesPerCall, decoded);
        }
        finish(decoded);
        return decoded;
    }

    /** Each member's images as its job has them (inpainting's overlay); a member whose finish fails fails alone. */
    private static void finish(Decoded decoded) {
        Iterator<Map.Entry<Member, List<GeneratedImage>>> entries = decoded.images().entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<Member, List<GeneratedImage>> entry = entries.next();
            try {
                entry.setValue(entry.getValue().stream().map(entry.getKey().finish()).toList());
            } catch (RuntimeException e) {
                entries.remove();
                decoded.failures().put(entry.getKey(), e);
            }
        }
    }

    private void decodeTogether(List<Member> together, Map<Member, List<ImageSampling>> wanted, int maxImagesPerCall,
            Decoded into) {
        try {
            List<GeneratedImage> all = decodeInCalls(together.stream().flatMap(m -> wanted.get(m).stream()).toList(),
                    maxImagesPerCall);
            int next = 0;
            for (Member member : together) {
                into.images().put(member, all.subList(next, next + wanted.get(member).size()));
                next += wanted.get(member).size();
            }
        } catch (RuntimeException failure) {
            for (Member member : together) {
                try {
                    into.images().put(member, decodeInCalls(wanted.get(member), maxImagesPerCall));
                } catch (RuntimeException e) {
                    into.failures().put(member, e);
                }
            }
        }
    }

    private List<GeneratedImage> decodeInCalls(List<ImageSampling> images, int maxImagesPerCall) {
        DiffusionPipeline pipeline = members.get(0).pipeline();
        GenerationSpec size = members.get(0).job().spec();
        List<GeneratedImage> out = new ArrayList<>(images.size());
        for (int from = 0; from < images.size(); from += maxImagesPerCall) {
            out.addAll(pipeline.decode(images.subList(from, Math.min(images.size(), from + maxImagesPerCall)),
                    size.width(), size.height()));
        }
        return out;
    }
}
