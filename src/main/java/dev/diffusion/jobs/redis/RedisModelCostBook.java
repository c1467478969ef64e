package dev.diffusion.jobs.redis;

import dev.diffusion.catalog.MeasuredCosts;
import dev.diffusion.catalog.ModelCostBook;
import java.util.Optional;
import org.springframework.data.redis.core.StringRedisTemplate;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** Each model's measured costs in Redis ({@code <prefix>costs:<model>}), for API instances that load no model. */
public class RedisModelCostBook implements ModelCostBook {

    /** Costs that a worker of an earlier version stored lack later fields: those read as their defaults. */
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).build();

    private final StringRedisTemplate redis;
    private final RedisQueueProperties keys;

    RedisModelCostBook(StringRedisTemplate redis, RedisQueueProperties keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public void record(String model, MeasuredCosts costs) {
        redis.opsForValue().set(keys.costsKey(model), JSON.writeValueAsString(costs));
    }

    @Override
    public Optional<MeasuredCosts> find(String model) {
        return Optional.ofNullable(redis.opsForValue().get(keys.costsKey(model)))
                .map(text -> JSON.readValue(text, MeasuredCosts.class));
    }
}
