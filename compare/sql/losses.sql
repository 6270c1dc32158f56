SELECT reason, kind, sum(count)::BIGINT AS n FROM losses GROUP BY reason, kind ORDER BY reason, kind
