//! A set of field paths, stored as a tree: at each level the path elements
//! that are themselves members, and the subtrees below elements that have
//! members further down. `spec.replicas` in a set does not make `spec` a
//! member; a manager that owns `metadata.labels` as a whole has it as a
//! member.

use std::collections::{BTreeMap, BTreeSet};

use super::element::{Path, PathElement};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set {
    members: BTreeSet<PathElement>,
    /// Never holds an empty set.
    children: BTreeMap<PathElement, Set>,
}

impl Set {
    pub fn new() -> Set {
        Set::default()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    pub fn insert(&mut self, path: &[PathElement]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    pub fn has(&self, path: &[PathElement]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    /// Whether `element` itself is a member at this level.
    pub fn has_member(&self, element: &PathElement) -> bool {
        self.members.contains(element)
    }

    /// The paths below `element` (relative to it).
    pub fn child(&self, element: &PathElement) -> Option<&Set> {
        self.children.get(element)
    }

    pub fn members(&self) -> impl Iterator<Item = &PathElement> {
        self.members.iter()
    }

    pub fn children(&self) -> impl Iterator<Item = (&PathElement, &Set)> {
        self.children.iter()
    }

    pub fn insert_member(&mut self, element: PathElement) {
        self.members.insert(element);
    }

    /// Puts `set` below `element` (merging with what is there).
    pub fn insert_child(&mut self, element: PathElement, set: Set) {
        if set.is_empty() {
            return;
        }
        match self.children.get_mut(&element) {
            Some(existing) => *existing = existing.union(&set),
            None => {
                self.children.insert(element, set);
            }
        }
    }

    pub fn union(&self, other: &Set) -> Set {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (element, set) in &other.children {
            out.insert_child(element.clone(), set.clone());
        }
        out
    }

    pub fn intersection(&self, other: &Set) -> Set {
        let mut out = Set::new();
        out.members = self.members.intersection(&other.members).cloned().collect();
        for (element, set) in &self.children {
            if let Some(theirs) = other.children.get(element) {
                out.insert_child(element.clone(), set.intersection(theirs));
            }
        }
        out
    }

    /// The paths of `self` that are not paths of `other` (a member of
    /// `other` does not remove what is below it).
    pub fn difference(&self, other: &Set) -> Set {
        let mut out = Set::new();
        out.members = self.members.difference(&other.members).cloned().collect();
        for (element, set) in &self.children {
            match other.children.get(element) {
                Some(theirs) => out.insert_child(element.clone(), set.difference(theirs)),
                None => out.insert_child(element.clone(), set.clone()),
            }
        }
        out
    }

    /// Like [`Set::difference`], but a member of `other` also removes
    /// everything below it.
    pub fn recursive_difference(&self, other: &Set) -> Set {
        let mut out = Set::new();
        out.members = self.members.difference(&other.members).cloned().collect();
        for (element, set) in &self.children {
            if other.members.contains(element) {
                continue;
            }
            match other.children.get(element) {
                Some(theirs) => out.insert_child(element.clone(), set.recursive_difference(theirs)),
                None => out.insert_child(element.clone(), set.clone()),
            }
        }
        out
    }

    /// Only `element` and the paths below it.
    pub fn only(&self, element: &PathElement) -> Set {
        let mut out = Set::new();
        if self.members.contains(element) {
            out.members.insert(element.clone());
        }
        if let Some(set) = self.children.get(element) {
            out.children.insert(element.clone(), set.clone());
        }
        out
    }

    /// Every path, members of a level before the paths below it, each
    /// level in order.
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        for member in &self.members {
            let mut path = prefix.clone();
            path.push(member.clone());
            out.push(path);
        }
        for (element, set) in &self.children {
            prefix.push(element.clone());
            set.collect_paths(prefix, out);
            prefix.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(fields: &[&str]) -> Path {
        fields.iter().map(|f| PathElement::field(f)).collect()
    }

    fn set(paths: &[&[&str]]) -> Set {
        let mut set = Set::new();
        for p in paths {
            set.insert(&path(p));
        }
        set
    }

    #[test]
    fn set_operations_follow_the_tree() {
        let a = set(&[&["spec", "replicas"], &["spec", "template"], &["data"]]);
        let b = set(&[&["spec", "replicas"], &["spec"], &["status", "x"]]);
        assert!(a.has(&path(&["spec", "replicas"])));
        assert!(!a.has(&path(&["spec"])));
        assert_eq!(a.intersection(&b), set(&[&["spec", "replicas"]]));
        assert_eq!(a.difference(&b), set(&[&["spec", "template"], &["data"]]));
        // A member removes its subtree only recursively.
        assert_eq!(
            a.recursive_difference(&set(&[&["spec"]])),
            set(&[&["data"]])
        );
        assert_eq!(a.difference(&set(&[&["spec"]])), a);
        let union = a.union(&b);
        assert!(union.has(&path(&["spec"])) && union.has(&path(&["status", "x"])));
        assert_eq!(
            union.only(&PathElement::field("spec")),
            set(&[&["spec"], &["spec", "replicas"], &["spec", "template"]])
        );
        let printed: Vec<String> = union
            .paths()
            .iter()
            .map(|p| super::super::element::display(p))
            .collect();
        assert_eq!(
            printed,
            [
                ".data",
                ".spec",
                ".spec.replicas",
                ".spec.template",
                ".status.x"
            ]
        );
        assert!(a.difference(&a).is_empty());
    }
}
