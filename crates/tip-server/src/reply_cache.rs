//! Replies kept for repeated requests, valid while the data is unchanged: a search for a common
//! term scores thousands of reports (milliseconds), a report is read and decoded from SQLite
//! (microseconds), and the same requests come again and again (a dashboard, a page of links, a
//! client retrying).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// At most `capacity` replies, each stored with the store generation it was computed at
/// ([`crate::Store::generation`]). A look-up at another generation empties the cache: every
/// entry was computed at the same, older one. Full, it drops its oldest entry.
pub struct ReplyCache<V> {
    capacity: usize,
    state: Mutex<State<V>>,
}

struct State<V> {
    version: u64,
    entries: HashMap<String, Arc<V>>,
    /// Keys, oldest first.
    order: VecDeque<String>,
}

impl<V> ReplyCache<V> {
    /// A cache of at most `capacity` replies; 0 keeps nothing.
    pub fn new(capacity: usize) -> Self {
        Self { capacity, state: Mutex::new(State { version: 0, entries: HashMap::new(), order: VecDeque::new() }) }
    }

    /// The reply stored under `key` at `version`, the current generation.
    pub fn get(&self, version: u64, key: &str) -> Option<Arc<V>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.version != version {
            state.version = version;
            state.entries.clear();
            state.order.clear();
            crate::metrics::reply_cache_lookup(false);
            return None;
        }
        let reply = state.entries.get(key).cloned();
        crate::metrics::reply_cache_lookup(reply.is_some());
        reply
    }

    /// Keeps `reply`, computed from data at `version`, under `key`. A reply from another
    /// version than the last look-up's is not kept: data changed since it was computed.
    pub fn insert(&self, version: u64, key: String, reply: Arc<V>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if self.capacity == 0 || state.version != version || state.entries.contains_key(&key) {
            return;
        }
        if state.order.len() == self.capacity
            && let Some(oldest) = state.order.pop_front()
        {
            state.entries.remove(&oldest);
        }
        state.order.push_back(key.clone());
        state.entries.insert(key, reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_served_until_the_version_changes() {
        let cache = ReplyCache::new(4);
        assert!(cache.get(7, "a").is_none());
        cache.insert(7, "a".into(), Arc::new(1));
        assert_eq!(cache.get(7, "a").as_deref(), Some(&1));
        assert!(cache.get(8, "a").is_none(), "another version empties the cache");
        assert!(cache.get(7, "a").is_none());
    }

    #[test]
    fn a_reply_from_an_older_version_is_not_kept() {
        let cache = ReplyCache::new(4);
        assert!(cache.get(8, "a").is_none());
        cache.insert(7, "a".into(), Arc::new(1));
        assert!(cache.get(8, "a").is_none());
    }

    #[test]
    fn a_full_cache_drops_its_oldest_reply() {
        let cache = ReplyCache::new(2);
        assert!(cache.get(1, "a").is_none());
        for (key, value) in [("a", 1), ("b", 2), ("c", 3)] {
            cache.insert(1, key.into(), Arc::new(value));
        }
        assert!(cache.get(1, "a").is_none());
        assert_eq!(cache.get(1, "b").as_deref(), Some(&2));
        assert_eq!(cache.get(1, "c").as_deref(), Some(&3));
    }

    #[test]
    fn a_cache_of_no_capacity_keeps_nothing() {
        let cache = ReplyCache::new(0);
        assert!(cache.get(1, "a").is_none());
        cache.insert(1, "a".into(), Arc::new(1));
        assert!(cache.get(1, "a").is_none());
    }
}
