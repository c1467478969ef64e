package dev.diffusion.scheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on Manifolds", as diffusers' {@code PNDMScheduler}:
 * pseudo linear multistep (PLMS) steps, after a Runge–Kutta (PRK) warm-up of 12 model calls unless
 * {@code skip_prk_steps}, in which case the second call re-evaluates the first step (crowsonkb's PLMS).
 */
public final class PndmScheduler extends DiscreteTimeScheduler {

    private static final int PRK_ORDER = 4;

    private final PredictionType prediction;
    private final boolean skipPrkSteps;
    /** ᾱ after the last step: 1, or ᾱ at timestep 0 ({@code set_alpha_to_one}). */
    private final double finalAlphaProd;

    /** The model calls of the Runge–Kutta warm-up: four for each of its first three intervals, or none. */
    private int prkSteps;
    /** How many steps this run has taken. */
    private int counter;
    /** The model outputs that PLMS combines, oldest first (diffusers' {@code ets}). */
    private final List<double[]> outputs = new ArrayList<>();
    /** The sample a multi-call step started from. */
    private double[] stepStart;
    /** The Runge–Kutta weighted sum of the current PRK step's model outputs. */
    private double[] rungeKuttaSum;

    public PndmScheduler(SchedulerConfig config) {
        super(config, NoiseSchedule.from(config, false));
        this.prediction = PredictionType.from(config, "PNDMScheduler",
                PredictionType.EPSILON, PredictionType.V_PREDICTION);
        this.skipPrkSteps = config.bool("skip_prk_steps", false);
        this.finalAlphaProd = config.bool("set_alpha_to_one", false) ? 1.0 : alphaProduct(0);
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        super.setTimesteps(numInferenceSteps);
        double[] spaced = timesteps;
        int n = spaced.length;
        List<Double> run = new ArrayList<>();
        if (skipPrkSteps) {
            // the second timestep twice: its first call evaluates the model at the first step's estimate, with which
            // the second call redoes the first step
            run.add(spaced[0]);
            if (n > 1) {
                run.add(spaced[1]);
            }
            for (int i = 1; i < n; i++) {
                run.add(spaced[i]);
            }
            prkSteps = 0;
        } else {
            if (n < PRK_ORDER) {
                throw new IllegalArgumentException("PNDM with its Runge-Kutta warm-up (skip_prk_steps false) needs at"
                        + " least " + PRK_ORDER + " steps, not " + n);
            }
            // each of the first three intervals in four calls: at its start, twice half-way, and at its end
            int halfStep = stepRatio() / 2;
            for (int i = 0; i < PRK_ORDER - 1; i++) {
                run.add(spaced[i]);
                run.add(spaced[i + 1] + halfStep);
                run.add(spaced[i + 1] + halfStep);
                run.add(spaced[i + 1]);
            }
            for (int i = PRK_ORDER - 1; i < n; i++) {
                run.add(spaced[i]);
            }
            prkSteps = 4 * (PRK_ORDER - 1);
        }
        timesteps = run.stream().mapToDouble(Double::doubleValue).toArray();
        counter = 0;
        outputs.clear();
        stepStart = null;
        rungeKuttaSum = null;
    }

    @Override
    public double[] step(double[] modelOutput, double timestep, double[] sample, NoiseSource noise) {
        requireTimesteps();
        double[] prev = counter < prkSteps
                ? stepRungeKutta(modelOutput, wholeTimestep(timestep), sample)
                : stepLinearMultistep(modelOutput, wholeTimestep(timestep), sample);
        counter++;
        return prev;
    }

    /** One of the four calls of a classic Runge–Kutta step, weighted 1/6, 1/3, 1/3, 1/6. */
    private double[] stepRungeKutta(double[] output, int t, double[] sample) {
        int stage = counter % 4;
        int previous = t - (stage % 2 == 1 ? 0 : stepRatio() / 2);
        int from = (int) timesteps[counter - stage];
        double[] direction = output;
        switch (stage) {
            case 0 -> {
                rungeKuttaSum = Vectors.scale(1.0 / 6, output);
                outputs.add(output);
                stepStart = sample;
            }
            case 1, 2 -> rungeKuttaSum = Vectors.combine(1, rungeKuttaSum, 1.0 / 3, output);
            default -> {
                direction = Vectors.combine(1, rungeKuttaSum, 1.0 / 6, output);
                rungeKuttaSum = null;
            }
        }
        return previousSample(stepStart, from, previous, direction);
    }

    private double[] stepLinearMultistep(double[] output, int t, double[] sample) {
        int from = t;
        int previous = t - stepRatio();
        if (counter != 1) {
            if (outputs.size() > 3) {
                outputs.remove(0);
            }
            outputs.add(output);
        } else {
            // the repeated second timestep: redo the first step from its start with the mean of both outputs
            previous = t;
            from = t + stepRatio();
        }
        double[] direction;
        int count = outputs.size();
        if (count == 1 && counter == 0) {
            direction = output;
            stepStart = sample;
        } else if (count == 1 && counter == 1) {
            direction = Vectors.combine(0.5, output, 0.5, outputs.get(0));
            sample = stepStart;
            stepStart = null;
        } else if (count == 2) {
            direction = Vectors.combine(1.5, outputs.get(1), -0.5, outputs.get(0));
        } else if (count == 3) {
            direction = Vectors.combine(23.0 / 12, outputs.get(2), -16.0 / 12, outputs.get(1),
                    5.0 / 12, outputs.get(0));
        } else {
            direction = Vectors.combine(1, Vectors.combine(55.0 / 24, outputs.get(3), -59.0 / 24, outputs.get(2)),
                    1, Vectors.combine(37.0 / 24, outputs.get(1), -9.0 / 24, outputs.get(0)));
        }
        return previousSample(sample, from, previous, direction);
    }

    /** Formula (9) of the paper: x at {@code previous} from x at {@code t} along the predicted noise. */
    private double[] previousSample(double[] sample, int t, int previous, double[] output) {
        double alphaProd = alphaProduct(t);
        double alphaProdPrev = previous >= 0 ? alphaProduct(previous) : finalAlphaProd;
        double[] epsilon = prediction.noise(output, sample, alphaProd);
        double sampleCoeff = Math.sqrt(alphaProdPrev / alphaProd);
        double outputDenominator = alphaProd * Math.sqrt(1 - alphaProdPrev)
                + Math.sqrt(alphaProd * (1 - alphaProd) * alphaProdPrev);
        return Vectors.combine(sampleCoeff, sample, -(alphaProdPrev - alphaProd) / outputDenominator, epsilon);
    }
}
